import { useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type ReactNode, type Ref } from 'react';
import './VirtualList.css';

export interface VisibleRange {
  start: number;
  end: number;
}

interface VirtualListProps {
  count: number;
  rowHeight: number;
  renderRow: (index: number) => ReactNode;
  /** Called with the rows on screen (plus overscan) whenever they change. */
  onRangeChange?: (range: VisibleRange) => void;
  onScrollTopChange?: (scrollTop: number) => void;
  overscan?: number;
  scrollRef?: Ref<HTMLDivElement>;
  label: string;
  testId?: string;
}

/**
 * A fixed-row-height virtual list: one tall spacer, and absolutely positioned rows only for what
 * is on screen. 100,000 rows cost the same as 30.
 */
export function VirtualList({ count, rowHeight, renderRow, onRangeChange, onScrollTopChange, overscan = 8, scrollRef, label, testId }: VirtualListProps) {
  const own = useRef<HTMLDivElement>(null);
  useImperativeHandle(scrollRef, () => own.current!, []);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useLayoutEffect(() => {
    const element = own.current;
    if (!element) return;
    setHeight(element.clientHeight);
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);

  const rangeChanged = useRef(onRangeChange);
  useEffect(() => {
    rangeChanged.current = onRangeChange;
  });
  useEffect(() => rangeChanged.current?.({ start: first, end: last }), [first, last]);

  const rows: ReactNode[] = [];
  for (let index = first; index < last; index++) {
    rows.push(
      <div key={index} role="listitem" className="vrow" style={{ top: index * rowHeight, height: rowHeight }}>
        {renderRow(index)}
      </div>,
    );
  }

  return (
    <div
      ref={own}
      className="vlist"
      role="list"
      aria-label={label}
      tabIndex={0}
      data-testid={testId}
      onScroll={(event) => {
        const top = event.currentTarget.scrollTop;
        setScrollTop(top);
        onScrollTopChange?.(top);
      }}
    >
      <div className="vlist-spacer" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
