//! A value that follows another once it has stopped changing for a moment: what a
//! form asks the server about while the user is still choosing.
import { useEffect, useState } from "react";

export function useDebouncedValue<T>(value: T, delayMs: number, same: (a: T, b: T) => boolean = Object.is): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (same(settled, value)) return;
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, settled, delayMs, same]);
  return settled;
}
