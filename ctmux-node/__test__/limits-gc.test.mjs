// Resource limits, GC and the daemon's metrics history, through the addon.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isolated, TIMEOUT, withSession } from './helpers.mjs'

/** A client of the test's server whose state dir (with its gc.json) the test can see. */
async function gcEnv (t) {
  const env = await isolated(t)
  const stateDir = join(env.tmp, 'state')
  return { ...env, stateDir, gcFile: join(stateDir, 'gc.json'), client: env.server.client(stateDir) }
}

/** Sleep until tmux's second-resolution clock has moved past now. */
function nextSecond () {
  return new Promise((resolve) => setTimeout(resolve, 1020 - (Date.now() % 1000)))
}

const killed = (actions) => actions.filter((a) => a.action === 'kill_session').map((a) => a.session)

// ---- limits -------------------------------------------------------------------------------

test('limits: set, get, clear round trip', async (t) => {
  const { pane } = await withSession(t)
  const fresh = await pane.limits()
  assert.equal(fresh.paneId, pane.id)
  assert.equal(fresh.cpuPercent ?? null, null)
  assert.equal(fresh.memoryMb ?? null, null)
  assert.equal(fresh.action, 'enforce')

  const mem = await pane.setLimit('memory', 100, { mode: 'notify', graceSeconds: 2.5 })
  assert.equal(mem.memoryMb, 100)
  assert.equal(mem.cpuPercent ?? null, null)
  assert.equal(mem.action, 'notify')
  assert.equal(mem.graceSeconds, 2.5)

  const both = await pane.setLimit('cpu', 50.5)
  assert.deepEqual([both.cpuPercent, both.memoryMb, both.action], [50.5, 100, 'notify'])
  assert.deepEqual(await pane.limits(), both)

  const noCpu = await pane.clearLimit('cpu')
  assert.deepEqual([noCpu.cpuPercent ?? null, noCpu.memoryMb], [null, 100])
  assert.deepEqual(await pane.clearLimit('cpu'), noCpu) // clearing what is not set is fine
  assert.deepEqual(await pane.clearLimit(), fresh)
})

test('limits: bad input rejects with InvalidInput and changes nothing', async (t) => {
  const { pane } = await withSession(t)
  const bad = [
    () => pane.setLimit('disk', 10),
    () => pane.setLimit('memory', -1),
    () => pane.setLimit('cpu', 0),
    () => pane.setLimit('cpu', NaN),
    () => pane.setLimit('cpu', 10, { mode: 'kill' }),
    () => pane.setLimit('memory', 10, { graceSeconds: -1 }),
    () => pane.clearLimit('gpu')
  ]
  for (const call of bad) {
    await assert.rejects(call(), { code: 'InvalidInput' }, String(call))
  }
  const limits = await pane.limits()
  assert.equal(limits.cpuPercent ?? null, null)
  assert.equal(limits.memoryMb ?? null, null)
})

test('limits: a gone pane rejects with NotFound', async (t) => {
  const { session } = await withSession(t)
  const pane = await session.paneCreate()
  await pane.kill()
  await assert.rejects(pane.setLimit('memory', 100), { code: 'NotFound' })
  await assert.rejects(pane.limits(), { code: 'NotFound' })
  await assert.rejects(pane.clearLimit(), { code: 'NotFound' })
})

// ---- GC -------------------------------------------------------------------------------------

test('gc: enable, status, disable', async (t) => {
  const { client } = await gcEnv(t)
  let status = await client.gcStatus()
  assert.equal(status.config.enabled, false)
  assert.equal(status.nextRunMs ?? null, null)
  assert.equal(status.lastRun ?? null, null)

  const config = await client.gcEnable('2h')
  assert.equal(config.enabled, true)
  assert.equal(config.ttlSeconds, 7200)
  assert.equal((await client.gcEnable(90)).ttlSeconds, 90)
  assert.equal((await client.gcEnable()).ttlSeconds, 90) // ttl kept when not given

  status = await client.gcStatus()
  assert.deepEqual(status.config, await client.gcEnable())
  assert.equal(typeof status.nextRunMs, 'number')
  assert.deepEqual(status.plan.actions, [])

  const disabled = await client.gcDisable()
  assert.equal(disabled.enabled, false)
  assert.equal(disabled.ttlSeconds, 90)
  assert.equal((await client.gcStatus()).nextRunMs ?? null, null)

  for (const ttl of [0, -5, 1.5, 'soon', '10x', '']) {
    await assert.rejects(client.gcEnable(ttl), { code: 'InvalidInput' }, String(ttl))
  }
  assert.equal((await client.gcStatus()).config.enabled, false)
})

test('gc: dry run lists an idle session, keep protects, the real run kills', async (t) => {
  const { client, gcFile } = await gcEnv(t)
  await client.gcEnable(1)
  // Shrink the "recent output" window too (5 min by default; no API sets it): edit the file.
  const state = JSON.parse(readFileSync(gcFile, 'utf8'))
  state.config.recent_seconds = 1
  writeFileSync(gcFile, JSON.stringify(state))

  await client.sessionCreate('idle')
  const kept = await client.sessionCreate('kept')
  assert.equal(await kept.keep(), false)
  await kept.setKeep(true)
  assert.equal(await kept.keep(), true)
  await nextSecond()
  await nextSecond()

  const dry = await client.gcRun({ dryRun: true })
  assert.equal(dry.dryRun, true)
  assert.equal(dry.force, false)
  assert.deepEqual(killed(dry.actions), ['idle'], JSON.stringify(dry))
  const keptEntry = dry.protected.find((p) => p.session === 'kept')
  assert.ok(keptEntry && keptEntry.reasons.includes('keep'), JSON.stringify(dry))
  assert.deepEqual((await client.sessions()).map((s) => s.name).sort(), ['idle', 'kept'])
  assert.equal((await client.gcStatus()).lastRun ?? null, null)

  const real = await client.gcRun()
  assert.equal(real.dryRun, false)
  assert.deepEqual(killed(real.actions), ['idle'], JSON.stringify(real))
  assert.deepEqual(real.skipped, [])
  assert.deepEqual((await client.sessions()).map((s) => s.name), ['kept'])
  const last = (await client.gcStatus()).lastRun
  assert.equal(last.done, real.actions.length)

  await kept.setKeep(false)
  assert.equal(await kept.keep(), false)
})

test('gc: keep of a gone session rejects with NotFound', async (t) => {
  const { client } = await isolated(t)
  await client.sessionCreate('other')
  const gone = await client.sessionCreate('gone')
  await gone.kill()
  await assert.rejects(gone.setKeep(true), { code: 'NotFound' })
  await assert.rejects(gone.keep(), { code: 'NotFound' })
})

test('gc: a corrupt gc.json rejects with Corrupt and is left alone', async (t) => {
  const { client, gcFile } = await gcEnv(t)
  await client.gcDisable() // creates the state dir and gc.json
  writeFileSync(gcFile, '{ this is not json')
  const calls = [
    () => client.gcStatus(),
    () => client.gcRun(),
    () => client.gcRun({ dryRun: true }),
    () => client.gcEnable(),
    () => client.gcDisable()
  ]
  for (const call of calls) {
    await assert.rejects(call(), (err) => {
      assert.equal(err.code, 'Corrupt')
      assert.match(err.message, /gc\.json/)
      return true
    }, String(call))
  }
  assert.equal(readFileSync(gcFile, 'utf8'), '{ this is not json')
})

// ---- metrics history ------------------------------------------------------------------------

test('metricsHistory: no daemon rejects with ServerUnavailable', async (t) => {
  const { pane } = await withSession(t)
  await assert.rejects(pane.metricsHistory(), { code: 'ServerUnavailable' })
  await assert.rejects(pane.metricsHistory(60), { code: 'ServerUnavailable' })
  for (const seconds of [-1, NaN, Infinity]) {
    await assert.rejects(pane.metricsHistory(seconds), { code: 'InvalidInput' }, String(seconds))
  }
})

/**
 * The `ctmux` CLI binary built by `cargo build -p ctmux-cli` (`$CTMUX_CLI`, else the newest
 * `debug/ctmux` under the cargo target dir), or null.
 */
function ctmuxCli () {
  if (process.env.CTMUX_CLI) return process.env.CTMUX_CLI
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
  const target = process.env.CARGO_TARGET_DIR || join(root, 'target')
  const candidates = [join(target, 'debug', 'ctmux')]
  if (existsSync(target)) {
    for (const entry of readdirSync(target)) candidates.push(join(target, entry, 'debug', 'ctmux'))
  }
  const found = candidates.filter((p) => existsSync(p) && statSync(p).isFile())
  found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  return found[0] ?? null
}

test('metricsHistory: samples from a running daemon', async (t) => {
  const cli = ctmuxCli()
  if (cli === null) {
    t.skip('no ctmux CLI binary: run `cargo build -p ctmux-cli` (or set CTMUX_CLI)')
    return
  }
  const { server, client, stateDir } = await gcEnv(t)
  const pane = await (await client.sessionCreate('h')).pane(0)
  const base = ['--socket-path', server.socketPath, '--state-dir', stateDir]
  const run = (args) => spawnSync(cli, [...base, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'], timeout: TIMEOUT * 1000, encoding: 'utf8'
  })
  const started = run(['daemon', 'start', '--metrics-interval', '1'])
  assert.equal(started.status, 0, started.stderr)
  try {
    const deadline = Date.now() + TIMEOUT * 1000
    let history
    while ((history = await pane.metricsHistory()).points.length < 2) {
      if (Date.now() > deadline) throw new Error(`the daemon never sampled twice: ${JSON.stringify(history)}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.equal(history.paneId, pane.id)
    const point = history.points.at(-1)
    assert.ok(point.processCount >= 1, JSON.stringify(point))
    assert.equal(typeof point.atMs, 'number')
    const recent = await pane.metricsHistory(3600)
    assert.ok(recent.summary, JSON.stringify(recent))
    assert.equal(recent.summary.samples, recent.points.length)
    assert.ok(recent.summary.samples >= 2)
    await assert.rejects(pane.metricsHistory(-1), { code: 'InvalidInput' })
  } finally {
    run(['daemon', 'stop'])
  }
  await assert.rejects(pane.metricsHistory(), { code: 'ServerUnavailable' })
})
