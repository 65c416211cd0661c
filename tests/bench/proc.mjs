// Process helpers of the server benchmarks (issuer.mjs, sso.mjs): failure
// bookkeeping, child processes that never outlive the script, CPU time. Free ports,
// the binary, `serve`'s arguments and stopping a child come from tests/lib.mjs.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

// log(msg) on stderr as "<name>: msg"; fail(what, err) logs and keeps it in failures;
// track(child) kills child (SIGKILL) when the script exits or is interrupted.
export function harness(name) {
  const log = (msg) => console.error(`${name}: ${msg}`)
  const failures = []
  const fail = (what, err) => {
    const msg = `${what}: ${err?.message || err}`
    failures.push(msg)
    log(`FAILED: ${msg}`)
  }
  const children = new Set()
  const track = (child) => {
    children.add(child)
    child.on('exit', () => children.delete(child))
    return child
  }
  const killAll = () => {
    for (const c of children) {
      try {
        process.kill(c.pid, 'SIGKILL')
      } catch {}
    }
  }
  process.on('exit', killAll)
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      killAll()
      process.exit(130)
    })
  }
  return { log, fail, failures, track }
}

// utime + stime of pid in seconds (NaN once it is gone).
export function cpuSeconds(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / CLK_TCK
  } catch {
    return NaN
  }
}
