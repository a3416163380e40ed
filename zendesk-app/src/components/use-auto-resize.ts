import { useEffect, type RefObject } from 'react';
import type { ZafClient } from '../zaf/zaf-client.ts';

/** Keeps the sidebar iframe as tall as its content. */
export function useAutoResize(client: ZafClient, ref: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    let last = 0;
    const observer = new ResizeObserver(() => {
      const height = Math.ceil(element.getBoundingClientRect().height) + 16;
      if (height === last) return;
      last = height;
      void client.invoke('resize', { width: '100%', height: `${height}px` });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [client, ref]);
}
