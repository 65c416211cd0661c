// Timing helpers shared by the Node benchmarks (peers.mjs, wasm.mjs).

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

// One round: call fn as often as fits in ms, return calls per second.
export async function roundAsync(fn, ms) {
  let n = 0
  const t0 = performance.now()
  const end = t0 + ms
  let t = t0
  while (t < end) {
    await fn()
    n++
    t = performance.now()
  }
  return (n * 1000) / (t - t0)
}

export function roundSync(fn, ms) {
  let n = 0
  const t0 = performance.now()
  const end = t0 + ms
  let t = t0
  while (t < end) {
    fn()
    n++
    t = performance.now()
  }
  return (n * 1000) / (t - t0)
}
