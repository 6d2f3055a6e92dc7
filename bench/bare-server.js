/**
 * The baseline for the benchmark: a bare node:http server that reads the whole request body and
 * answers 202 with a small JSON body, nothing else. Plain JavaScript, like the bundled relay that
 * `npm run serve` runs; prints its URL, stops on SIGTERM/SIGINT.
 */
import http from 'node:http';

const ACCEPTED = Buffer.from('{"accepted":true}');

const server = http.createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
  request.on('data', () => {});
  request.on('end', () => {
    response.writeHead(202, { 'content-type': 'application/json; charset=utf-8', 'content-length': ACCEPTED.length });
    response.end(ACCEPTED);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`bare server listening at http://127.0.0.1:${port}/webhooks/level`);
});

const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
