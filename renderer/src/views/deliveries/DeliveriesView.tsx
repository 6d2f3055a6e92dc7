import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { DeliveryFilter, DeliveryPage, DeliveryRow, DeliveryStatus, RelayStatusView } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { Badge, StatusBadge } from '../../components/Badge.tsx';
import { VirtualList, type VisibleRange } from '../../components/VirtualList.tsx';
import { webhookUrl } from '../../curl.ts';
import { DELIVERY_STATUSES, EVENT_TYPES, fullTime, latency, plural, SEVERITY_LEVELS, severityTone, shortTime, sourceBadge, sourceWords, statusTone } from '../../format.ts';
import { useChanges, useDebounced, useFlash } from '../../hooks.ts';
import { DeliveryDetailPane } from './DeliveryDetail.tsx';
import { usePager, WindowedPager } from '../../components/windowed-pager.ts';
import './DeliveriesView.css';
import './narrow-toolbar.css';
import { ErrorBanner, options, Flash } from '../../components/controls.tsx';

export const ROW_HEIGHT = 52;
const TIME_RANGES = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000, all: 0 } as const;
type TimeRange = keyof typeof TIME_RANGES;
const TIME_LABELS: Record<TimeRange, string> = { hour: 'Last hour', day: 'Last day', week: 'Last week', all: 'All time' };

interface DeliveriesViewProps {
  status: RelayStatusView | undefined;
  onLoaded: () => void;
  focusDeliveryId?: number | undefined;
  /** The open delivery changed (for the address bar). */
  onSelectedChange?: (id: number | undefined) => void;
  /** The filter as the address carries it (`status=failed&q=nas`), so a filtered view can be shared. */
  filter: string;
  onFilterChange: (filter: string) => void;
}

interface FilterChoice {
  statuses: DeliveryStatus[];
  eventType: string;
  severity: string;
  time: TimeRange;
  search: string;
  /** Only deliveries whose ilert event had an attempt that failed (delayed by an outage, or failed). */
  hadFailedAttempts: boolean;
}

/** Whatever an edited link carries, only known values become a filter. */
function readFilter(query: string): FilterChoice {
  const params = new URLSearchParams(query);
  const time = params.get('time') ?? '';
  const severity = params.get('severity') ?? '';
  const eventType = params.get('event') ?? '';
  return {
    statuses: DELIVERY_STATUSES.filter((value) => (params.get('status') ?? '').split(',').includes(value)),
    eventType: (EVENT_TYPES as readonly string[]).includes(eventType) ? eventType : '',
    severity: (SEVERITY_LEVELS as readonly string[]).includes(severity) ? severity : '',
    time: time in TIME_RANGES ? (time as TimeRange) : 'all',
    search: (params.get('q') ?? '').trim().slice(0, 200),
    hadFailedAttempts: params.get('attempts') === 'failed',
  };
}

/** The time range becomes a window that starts when the filter is applied. */
function deliveryFilter(choice: FilterChoice, now: number): DeliveryFilter {
  const filter: DeliveryFilter = {};
  if (choice.statuses.length) filter.statuses = choice.statuses;
  if (choice.eventType) filter.eventTypes = [choice.eventType];
  if (choice.severity) filter.severities = [choice.severity as (typeof SEVERITY_LEVELS)[number]];
  if (TIME_RANGES[choice.time]) filter.since = now - TIME_RANGES[choice.time];
  if (choice.search) filter.search = choice.search;
  if (choice.hadFailedAttempts) filter.hadFailedAttempts = true;
  return filter;
}

function filterAddress(choice: FilterChoice): string {
  const params = new URLSearchParams();
  if (choice.statuses.length) params.set('status', choice.statuses.join(','));
  if (choice.eventType) params.set('event', choice.eventType);
  if (choice.severity) params.set('severity', choice.severity);
  if (choice.time !== 'all') params.set('time', choice.time);
  if (choice.search) params.set('q', choice.search);
  if (choice.hadFailedAttempts) params.set('attempts', 'failed');
  return params.toString().replaceAll('%2C', ',');
}

const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The statuses whose word alone could mislead: 'failed' is two different things. */
const STATUS_FILTER_TITLES: Partial<Record<DeliveryStatus, string>> = {
  received: 'Acknowledged and stored, still being processed: nothing sent to ilert yet',
  failed: 'Failed: the ilert event failed for good (retry it), or the relay could not process the delivery (open it to see why, re-run it once fixed)',
};

const SEVERITY_SHORT: Record<string, string> = { emergency: 'EMERG', critical: 'CRIT', warning: 'WARN', information: 'INFO' };

function DeliveryRowView({ row, index, selected, onSelect }: { row: DeliveryRow | undefined; index: number; selected: boolean; onSelect: (row: DeliveryRow) => void }) {
  if (!row) {
    return (
      <div className="drow drow-loading" data-testid="delivery-row-loading" aria-hidden="true">
        <span className="skeleton" />
      </div>
    );
  }
  const job = row.job;
  const rerun = row.source === 'rerun' || row.source === 'replay';
  const source = sourceBadge(row.source);
  // The ilert target, when it is not the default one: routing by Level group chose it.
  const target = job && job.target !== 'default' ? job.target : undefined;
  return (
    <button
      type="button"
      className={`drow${selected ? ' drow-selected' : ''} drow-${statusTone(row.status)}`}
      data-testid="delivery-row"
      data-delivery-id={row.id}
      data-status={row.status}
      data-source={row.source}
      data-index={index}
      aria-pressed={selected}
      // One Tab stop for the whole list (the list itself); the arrow keys move between rows.
      tabIndex={-1}
      onClick={() => onSelect(row)}
    >
      <span className="dline">
        {/* The row's accessible name is its text: the full time, severity and host are in it for a screen reader too. */}
        <span className="c-time" title={`${fullTime(row.receivedAt)} ${TIME_ZONE}`}>
          {shortTime(row.receivedAt)}
          <span className="sr-only"> ({fullTime(row.receivedAt)})</span>
        </span>
        <span
          className="c-dir dir-in"
          title={
            rerun
              ? `${sourceWords(row.source)} of delivery #${row.rerunOf ?? '?'}`
              : row.source === 'test'
                ? 'Made by the setup test'
                : row.source === 'app'
                  ? 'Made by the relay: Accept pressed in the app'
                  : `Inbound: ${sourceWords(row.source)}`
          }
        >
          {row.source === 'replay' ? '✎ replay' : rerun ? '↻ re-run' : row.source === 'test' ? '✓ test' : row.source === 'app' ? '● relay' : '← Level'}
        </span>
        <span className="c-event mono">{row.eventType ?? '—'}</span>
        <span className="c-alert" title={[row.alertName, row.hostname].filter(Boolean).join(' · ')}>
          {source && (
            <span className="c-source">
              <Badge tone={source.tone} title={sourceWords(row.source)} testId="delivery-source">
                {source.label}
              </Badge>
            </span>
          )}
          {row.severity && (
            // Not by colour alone: the word is there too, short.
            <span className={`sev-mark sev-mark-${severityTone(row.severity)}`} title={row.severity} data-testid="delivery-severity">
              <span className={`dot dot-${severityTone(row.severity)}`} aria-hidden="true" />
              <span aria-hidden="true">{SEVERITY_SHORT[row.severity] ?? row.severity}</span>
              <span className="sr-only">{row.severity}</span>
            </span>
          )}
          {row.alertName && <span className="aname">{row.alertName}</span>}
          {row.hostname && (
            <span className="host">
              <span className="sr-only"> on </span>
              {row.hostname}
            </span>
          )}
          {!row.alertName && !row.hostname && <span className="muted unparsed">{row.eventId ? `event ${row.eventId}` : 'not parsed'}</span>}
        </span>
        <span className="c-status">
          <StatusBadge status={row.outcome} reason={row.reason} testId="delivery-outcome" />
        </span>
        <span className="c-code mono" title="What the relay answered Level">
          {row.statusCode}
        </span>
        <span className="c-url mono" title={row.path}>
          {row.path}
        </span>
        <span className="c-lat" />
      </span>
      <span className="dline dline-out">
        <span className="c-time" />
        <span className="c-dir dir-out">{job ? '→ ilert' : ''}</span>
        {job ? (
          <>
            <span className="c-event mono">{job.eventType}</span>
            <span
              className="c-alert muted"
              title={[target && `target ${target}${job.routeReason ? `: ${job.routeReason}` : ''}`, job.lastError].filter(Boolean).join('\n') || undefined}
            >
              {target && (
                <span className="c-target" data-testid="job-target">
                  {target} ·
                </span>
              )}
              {job.status === 'skipped' ? `skipped: ${job.reason ?? 'not sent to ilert'}` : job.attempts === 0 ? 'not sent yet' : plural(job.attempts, 'attempt')}
              {job.lastError ? ` · ${job.lastError}` : ''}
            </span>
            <span className="c-status">
              <StatusBadge status={job.status} nextAttemptAt={job.nextAttemptAt} reason={job.reason ?? job.lastError} testId="job-status" />
            </span>
            <span className="c-code mono">{job.lastStatusCode ?? '--'}</span>
            <span className="c-url mono" title={job.url}>
              {job.url ?? ''}
            </span>
            <span className="c-lat">{latency(job.lastLatencyMs)}</span>
          </>
        ) : (
          <span className={`c-none${row.outcome === 'rejected' || row.outcome === 'failed' ? ' text-bad' : ''}`} title={row.reason} data-testid="delivery-no-job">
            {row.outcome === 'rejected'
              ? `${row.reason ?? 'rejected'} · not forwarded`
              : row.outcome === 'duplicate'
                ? 'already received: not forwarded again'
                : row.outcome === 'received'
                  ? 'being processed: not sent to ilert yet'
                  : row.outcome === 'failed'
                    ? `${row.reason ?? 'the relay could not process this event'} · nothing sent to ilert`
                    : 'nothing to send to ilert for this event'}
          </span>
        )}
      </span>
    </button>
  );
}

export function DeliveriesView({ status, onLoaded, focusDeliveryId, onSelectedChange, filter: filterQuery, onFilterChange }: DeliveriesViewProps) {
  const [pager] = useState(() => new WindowedPager<DeliveryFilter, DeliveryPage>({}, ({ query: filter, ...page }) => call('listDeliveries', { filter, ...page })));
  usePager(pager);
  const newer = pager.answer?.newer ?? 0;
  const choice = useMemo(() => readFilter(filterQuery), [filterQuery]);
  const { statuses, eventType, severity, time, hadFailedAttempts } = choice;
  const choose = (change: Partial<FilterChoice>) => onFilterChange(filterAddress({ ...choice, ...change }));
  const [searchText, setSearchText] = useState(choice.search);
  const search = useDebounced(searchText.trim(), 250);
  // Typing settles into the address; Back or a link puts the address's search into the box. Only a
  // settled value that is still what the box holds is typing: one that lags behind a Back or Forward
  // (the box already shows the address's search) must not write the old text over the address.
  const latestChoice = useRef({ choice, onFilterChange, searchText });
  useEffect(() => {
    latestChoice.current = { choice, onFilterChange, searchText };
  });
  useEffect(() => {
    const { choice: current, onFilterChange: change, searchText: inTheBox } = latestChoice.current;
    if (search !== current.search && search === inTheBox.trim()) change(filterAddress({ ...current, search }));
  }, [search]);
  const [addressSearch, setAddressSearch] = useState(choice.search);
  if (choice.search !== addressSearch) {
    setAddressSearch(choice.search);
    if (searchText.trim() !== choice.search) setSearchText(choice.search);
  }
  const [selected, setSelected] = useState<number | undefined>(focusDeliveryId);
  const [atTop, setAtTop] = useState(true);
  const [retryMessage, flashRetry] = useFlash(6_000);
  const [retrying, setRetrying] = useState(false);
  /** On a narrow screen the secondary filters fold behind one button, so the list keeps the screen. */
  const [filtersOpen, setFiltersOpen] = useState(false);
  const listRef = useRef<HTMLDivElement | null>(null);
  const range = useRef<VisibleRange>({ start: 0, end: 30 });
  const scrollTop = useRef(0);
  const ensureTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  // The address (or a notification) opens a delivery, and Back closes it again.
  const [openedFocus, setOpenedFocus] = useState(focusDeliveryId);
  if (focusDeliveryId !== openedFocus) {
    setOpenedFocus(focusDeliveryId);
    setSelected(focusDeliveryId);
  }
  const selectedChanged = useRef(onSelectedChange);
  useEffect(() => {
    selectedChanged.current = onSelectedChange;
  });
  useEffect(() => selectedChanged.current?.(selected), [selected]);

  const filtered = filterAddress(choice) !== '';

  useEffect(() => {
    // Scrolling to the top also tells onScrollTopChange that the list is at the top again.
    if (listRef.current) listRef.current.scrollTop = 0;
    scrollTop.current = 0;
    void pager.reset(deliveryFilter(choice, Date.now())).then(onLoaded);
  }, [pager, choice, onLoaded]);

  useEffect(() => () => clearTimeout(ensureTimer.current), []);

  const refresh = async () => {
    await pager.refresh();
    if ((pager.answer?.newer ?? 0) > 0 && scrollTop.current < 4) await pager.reanchor();
  };
  useChanges((changes) => {
    if (changes.resync || changes.deliveries.length > 0 || changes.jobs.length > 0) void refresh();
  });

  const onRangeChange = useCallback(
    (next: VisibleRange) => {
      range.current = next;
      // At most one round of page requests every 80 ms while the user drags through 100,000 rows.
      ensureTimer.current ??= setTimeout(
        () => {
          ensureTimer.current = undefined;
          pager.want(range.current);
        },
        pager.row(next.start) && pager.row(next.end - 1) ? 80 : 16,
      );
    },
    [pager],
  );

  const onScrollTopChange = useCallback(
    (top: number) => {
      scrollTop.current = top;
      const nowAtTop = top < 4;
      setAtTop(nowAtTop);
      if (nowAtTop && (pager.answer?.newer ?? 0) > 0) void pager.reanchor();
    },
    [pager],
  );

  const showNewer = () => {
    if (listRef.current) listRef.current.scrollTop = 0;
    scrollTop.current = 0;
    setAtTop(true);
    void pager.reanchor();
  };

  const select = useCallback((row: DeliveryRow) => setSelected(row.id), []);

  const viewRef = useRef<HTMLDivElement>(null);
  /** Closing the pane gives focus back to the row it showed (or the list), never to <body>. */
  const closeDetail = useCallback(() => {
    const closed = selected;
    setSelected(undefined);
    requestAnimationFrame(() => {
      const row = listRef.current?.querySelector<HTMLElement>(`[data-delivery-id="${closed}"]`);
      (row ?? listRef.current)?.focus();
    });
  }, [selected]);

  // Escape closes the detail pane, from anywhere in this view while it is the one shown.
  useEffect(() => {
    if (selected === undefined) return;
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented || viewRef.current?.closest('[inert]')) return;
      if (document.querySelector('[role="alertdialog"]')?.contains(document.activeElement)) return;
      event.preventDefault();
      closeDetail();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [selected, closeDetail]);

  /**
   * Up and down arrows (Home and End) move the selection from the focused row, keeping it on
   * screen; on the list itself, the first arrow goes to the selected row or the first one.
   */
  const onListKey = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) return;
    const focused = (event.target as HTMLElement).closest<HTMLElement>('[data-testid="delivery-row"]');
    const onList = !focused && event.target === listRef.current;
    if (!focused && !onList) return;
    const selectedRow = selected === undefined ? null : listRef.current?.querySelector<HTMLElement>(`[data-delivery-id="${selected}"]`);
    const from = focused ? Number(focused.dataset.index) : selectedRow ? Number(selectedRow.dataset.index) : -1;
    const step = from < 0 ? (event.key === 'ArrowUp' ? 0 : 1) : event.key === 'ArrowDown' ? 1 : -1;
    const index = event.key === 'Home' ? 0 : event.key === 'End' ? pager.total - 1 : Math.max(0, from + step);
    const row = pager.row(index);
    if (!row) return;
    event.preventDefault();
    if (from >= 0 && index === from && !onList) return;
    setSelected(row.id);
    const list = listRef.current;
    if (list) {
      if (index * ROW_HEIGHT < list.scrollTop) list.scrollTop = index * ROW_HEIGHT;
      else if ((index + 1) * ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = (index + 1) * ROW_HEIGHT - list.clientHeight;
      requestAnimationFrame(() => list.querySelector<HTMLButtonElement>(`[data-index="${index}"]`)?.focus());
    }
  };

  const retryAll = async () => {
    setRetrying(true);
    try {
      // Filtered, the retry takes what the filter shows: a storm of one alert name, one host, the last hour.
      const { count, skipped } = await call('retryAllFailed', filtered ? { filter: deliveryFilter(choice, Date.now()) } : {});
      const left = skipped > 0 ? `; ${plural(skipped, 'ALERT')} of resolved alerts left alone (re-run its job to send ALERT then RESOLVE)` : '';
      flashRetry(`${count === 0 ? `No failed ilert events to retry${filtered ? ' in this filter' : ''}` : `Queued ${plural(count, 'failed ilert event')} to send again`}${left}`);
    } catch (error) {
      flashRetry(`Retry failed: ${(error as Error).message}`);
    } finally {
      setRetrying(false);
    }
  };

  const clearFilters = () => {
    setSearchText('');
    onFilterChange('');
  };

  const toggleStatus = (value: DeliveryStatus) => choose({ statuses: statuses.includes(value) ? statuses.filter((entry) => entry !== value) : [...statuses, value] });
  const failed = status?.failedJobs ?? 0;
  const url = webhookUrl(status);
  const secondarySet = statuses.length + (eventType ? 1 : 0) + (severity ? 1 : 0) + (time !== 'all' ? 1 : 0) + (hadFailedAttempts ? 1 : 0);

  return (
    <div ref={viewRef} className={`deliveries-view${selected !== undefined ? ' with-detail' : ''}`} data-testid="deliveries-view">
      <div className={`toolbar${filtersOpen ? ' filters-open' : ''}`} role="search" aria-label="Filter deliveries">
        <div className="toolbar-row">
          <label className="field-inline search-field">
            <span className="sr-only">Search alert name or host</span>
            <input
              type="search"
              placeholder="Search alert name or host…"
              value={searchText}
              onChange={(event) => setSearchText(event.target.value)}
              data-testid="filter-search"
              maxLength={200}
            />
          </label>
          <button type="button" className="filters-toggle" aria-expanded={filtersOpen} onClick={() => setFiltersOpen((open) => !open)} data-testid="filters-toggle">
            Filters{secondarySet > 0 ? ` (${secondarySet} set)` : ''}
          </button>
          <label className="field-inline secondary-filter">
            <span>Event</span>
            <select value={eventType} onChange={(event) => choose({ eventType: event.target.value })} data-testid="filter-event-type">
              <option value="">all</option>
              {options(EVENT_TYPES)}
            </select>
          </label>
          <label className="field-inline secondary-filter">
            <span>Severity</span>
            <select value={severity} onChange={(event) => choose({ severity: event.target.value })} data-testid="filter-severity">
              <option value="">all</option>
              {options(SEVERITY_LEVELS)}
            </select>
          </label>
          <label className="field-inline secondary-filter">
            <span>Time</span>
            <select value={time} onChange={(event) => choose({ time: event.target.value as TimeRange })} data-testid="filter-time">
              {options(Object.keys(TIME_RANGES) as TimeRange[], (key) => TIME_LABELS[key])}
            </select>
          </label>
          <button
            type="button"
            className="secondary-filter"
            onClick={clearFilters}
            disabled={!filtered && !searchText}
            title={filtered || searchText ? 'Show every delivery' : 'No filters are set'}
            data-testid="filter-clear"
          >
            Clear filters
          </button>
          <span className="spacer" />
          <span className="total" data-testid="delivery-total">
            {pager.loaded ? plural(pager.total, 'delivery', 'deliveries') : '…'}
          </span>
          <button
            type="button"
            className="primary"
            onClick={() => void retryAll()}
            disabled={failed === 0 || retrying}
            title={
              failed === 0
                ? 'No ilert events have failed'
                : filtered
                  ? 'Send the failed ilert events of the deliveries this filter shows again'
                  : `Send all ${failed} failed ilert events again`
            }
            data-testid="retry-all-failed"
            data-needs="operator"
          >
            {filtered ? 'Retry failed in this filter' : `Retry all failed${failed > 0 ? ` (${failed})` : ''}`}
          </button>
        </div>
        <div className="toolbar-row status-filters" role="group" aria-label="Status">
          <span className="toolbar-label secondary-filter">Status</span>
          {DELIVERY_STATUSES.map((value) => (
            <label key={value} className={`chip chip-${statusTone(value)}${statuses.includes(value) ? ' chip-on' : ''} secondary-filter`} title={STATUS_FILTER_TITLES[value]}>
              <input type="checkbox" checked={statuses.includes(value)} onChange={() => toggleStatus(value)} data-testid={`filter-status-${value}`} />
              {value}
            </label>
          ))}
          <label
            className={`chip chip-warn${hadFailedAttempts ? ' chip-on' : ''} secondary-filter`}
            title="Only deliveries whose ilert event had a failed attempt: delayed by an outage, or failed for good"
          >
            <input type="checkbox" checked={hadFailedAttempts} onChange={() => choose({ hadFailedAttempts: !hadFailedAttempts })} data-testid="filter-failed-attempts" />
            had failed attempts
          </label>
          <Flash message={retryMessage} testId="retry-all-result" />
        </div>
      </div>

      <ErrorBanner error={pager.error} prefix="Could not load deliveries: " />

      <div className="split">
        <div className="list-pane" onKeyDown={onListKey}>
          <div className="dhead" aria-hidden="true">
            <span className="c-time">Time</span>
            <span className="c-dir">In / out</span>
            <span className="c-event">Event</span>
            <span className="c-alert">Alert · host</span>
            <span className="c-status">Status</span>
            <span className="c-code">Code</span>
            <span className="c-url">URL</span>
            <span className="c-lat">Latency</span>
          </div>
          {newer > 0 && !atTop && (
            <button type="button" className="new-pill" onClick={showNewer} data-testid="new-deliveries">
              {plural(newer, 'new delivery', 'new deliveries')} — show
            </button>
          )}
          {pager.loaded && pager.total === 0 ? (
            <div className="empty" data-testid="deliveries-empty">
              {filtered ? (
                <>
                  <p className="empty-title">No deliveries match these filters</p>
                  <button type="button" onClick={clearFilters}>
                    Clear filters
                  </button>
                </>
              ) : (
                <>
                  <p className="empty-title">No deliveries yet</p>
                  <p>Nothing has arrived from Level. To connect it:</p>
                  <ol>
                    <li>
                      Expose the receiver
                      {url ? (
                        <>
                          {' '}
                          (<code>{url}</code>)
                        </>
                      ) : null}{' '}
                      through a public HTTPS tunnel, e.g. <code>cloudflared tunnel --url {url ? new URL(url).origin : 'http://127.0.0.1:8787'}</code>.
                    </li>
                    <li>
                      In Level: Settings → Webhooks → Add webhook. URL: <code>{status?.publicUrl ? webhookUrl(status) : 'https://<your tunnel>/webhooks/level'}</code>; secret: the
                      one under Settings here; events: at least <b>Alert active</b> and <b>Alert resolved</b>.
                    </li>
                    <li>Trigger a test alert in Level: it shows up here within a second.</li>
                  </ol>
                </>
              )}
            </div>
          ) : (
            <VirtualList
              count={pager.total}
              rowHeight={ROW_HEIGHT}
              label="Deliveries, newest first"
              testId="delivery-list"
              scrollRef={listRef}
              onRangeChange={onRangeChange}
              onScrollTopChange={onScrollTopChange}
              renderRow={(index) => (
                <DeliveryRowView row={pager.row(index)} index={index} selected={selected !== undefined && pager.row(index)?.id === selected} onSelect={select} />
              )}
            />
          )}
        </div>
        {selected !== undefined && <DeliveryDetailPane key={selected} id={selected} status={status} onClose={closeDetail} onSelect={setSelected} />}
      </div>
    </div>
  );
}
