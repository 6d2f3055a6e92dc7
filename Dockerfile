# The headless relay (`npm run serve`) as a container image.
#   docker build -t level-ilert-relay .
#   docker run -d -v relay-data:/data -p 8787:8787 -p 127.0.0.1:8788:8788 \
#     -e LEVEL_WEBHOOK_SECRET=… -e ILERT_INTEGRATION_KEY=… level-ilert-relay
# Secrets come from the environment only (never baked in); see compose.yaml for a full example.
# tests/integration/container-contents.test.ts runs this CMD on exactly what the last stage copies.

# Node 24 (.nvmrc) on Debian slim, in every stage.

# 1. Build the headless host (dist/cli) and the dashboard it serves (dist/renderer).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The desktop app's Electron binary is not needed to build the headless host.
RUN ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
COPY . .
# `preserve` is the build `npm run serve` runs first: the dashboard and dist/cli/serve.js.
RUN npm run preserve

# 2. Only the production dependencies that dist/cli/serve.js loads at run time.
FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. The runtime: Node, the production install, the built files, a non-root user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    RELAY_DATA_DIR=/data \
    RELAY_HOST=0.0.0.0 \
    RELAY_PORT=8787 \
    RELAY_ADMIN_HOST=0.0.0.0 \
    RELAY_ADMIN_PORT=8788
RUN groupadd --system --gid 10001 relay \
 && useradd --system --uid 10001 --gid relay --home-dir /data --no-create-home --shell /usr/sbin/nologin relay \
 && mkdir -p /data \
 && chown relay:relay /data \
 && chmod 0700 /data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist/cli ./dist/cli
COPY --from=build /src/dist/renderer ./dist/renderer
USER relay
VOLUME ["/data"]
# 8787: the public receiver (behind a tunnel). 8788: the admin door, HTTPS beyond loopback
# (self-signed in /data, or RELAY_TLS_CERT / RELAY_TLS_KEY): publish it only to a LAN or VPN.
EXPOSE 8787 8788
# /healthz answers 503 while the store cannot write or the public port is flooded.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.RELAY_PORT || 8787}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop): in-flight ilert requests finish and the database closes; give it the time.
STOPSIGNAL SIGTERM
CMD ["node", "--experimental-sqlite", "dist/cli/serve.js"]
