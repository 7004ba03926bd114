// Live output and events: pane/session streams, tail, subscriptions, the daemon, autosave.
// Every test talks to its own isolated server; a test that starts the daemon stops it in a
// `finally` (not in t.after: those run in registration order, after the server's cleanup
// has removed the state dir the daemon lives in).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ctmux, isolated, withSession, TIMEOUT } from './helpers.mjs'

const TIMEOUT_MS = TIMEOUT * 1000

/** Lines of `stream` up to the first whose text is `text` (bounded wait). */
async function linesUntil (stream, text) {
  const seen = []
  const deadline = Date.now() + TIMEOUT_MS
  while (seen.length === 0 || seen.at(-1).text !== text) {
    const line = await stream.next(Math.max(deadline - Date.now(), 0))
    assert.notEqual(line, null, `stream ended before ${text}; saw ${JSON.stringify(seen)}`)
    seen.push(line)
  }
  return seen
}

/** The first event of `sub` for which `want` holds (bounded wait). */
async function eventWhere (sub, want) {
  const seen = []
  const deadline = Date.now() + TIMEOUT_MS
  for (;;) {
    const event = await sub.next(Math.max(deadline - Date.now(), 0))
    assert.notEqual(event, null, `subscription ended; saw ${JSON.stringify(seen)}`)
    if (want(event)) return event
    seen.push(event)
  }
}

/** Run `body(report)` with the daemon of `client`'s server started; stop it afterwards. */
async function withDaemon (client, options, body) {
  const report = await client.daemonStart(options)
  try {
    return await body(report)
  } finally {
    await client.daemonStop()
  }
}

// -- streams --------------------------------------------------------------------------------

test('pane.stream yields the lines printed', async (t) => {
  const { pane } = await withSession(t)
  const stream = await pane.stream()
  await pane.exec("printf 'one\\ntwo\\n'; echo three")
  const lines = await linesUntil(stream, 'three')
  assert.deepEqual(lines.slice(-3).map((l) => l.text), ['one', 'two', 'three'])
  assert.ok(lines.every((l) => l.pane === pane.id))
  assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => i + 1))
  assert.ok(lines.at(-1).timeMs > 1_600_000_000_000)
  stream.close()
  assert.equal(stream.closed, true)
  assert.equal(await stream.next(100), null)
})

test('for await over a stream; break closes it', async (t) => {
  const { pane } = await withSession(t)
  const stream = await pane.stream()
  await pane.exec('echo for-await-marker')
  for await (const line of stream) {
    if (line.text === 'for-await-marker') break
  }
  assert.equal(stream.closed, true)
})

test('a burst is handed out in order from the ready buffer (takeReady, for await)', async (t) => {
  const { pane } = await withSession(t)
  const stream = await pane.stream()
  assert.equal(stream.takeReady(), null, 'nothing has arrived yet')
  await pane.exec('seq 1 3000; echo burst-done')
  const numbers = []
  let sawReady = false
  for await (const line of stream) {
    if (/^\d+$/.test(line.text)) numbers.push(Number(line.text))
    if (line.text === 'burst-done') break
    // A line is waiting here once the first of the burst came through next().
    const peek = stream.takeReady()
    if (peek !== null) {
      sawReady = true
      if (/^\d+$/.test(peek.text)) numbers.push(Number(peek.text))
      if (peek.text === 'burst-done') break
    }
  }
  assert.deepEqual(numbers, Array.from({ length: 3000 }, (_, i) => i + 1))
  assert.ok(sawReady, 'lines already arrived were buffered')
  assert.equal(stream.closed, true)
  assert.equal(stream.takeReady(), null, 'closed: nothing more')
})

test('a pane stream ends when the pane is killed', async (t) => {
  const { session } = await withSession(t)
  const pane = await session.paneCreate('doomed')
  const stream = await pane.stream()
  await pane.exec('echo last-words')
  await linesUntil(stream, 'last-words')
  await pane.kill()
  const rest = []
  for await (const line of stream) rest.push(line)
  assert.ok(rest.every((l) => l.pane === pane.id))
  assert.equal(stream.closed, true)
  assert.equal(await stream.next(), null)
})

test('session.stream sees every pane', async (t) => {
  const { session, pane: a } = await withSession(t)
  const b = await session.paneCreate('b')
  const stream = await session.stream()
  t.after(() => stream.close())
  await a.exec('echo from-a')
  await b.exec('echo from-b')
  const seen = {}
  const deadline = Date.now() + TIMEOUT_MS
  while (Object.keys(seen).length < 2) {
    const line = await stream.next(Math.max(deadline - Date.now(), 0))
    assert.notEqual(line, null)
    if (line.text === 'from-a' || line.text === 'from-b') seen[line.text] = line.pane
  }
  assert.deepEqual(seen, { 'from-a': a.id, 'from-b': b.id })
})

test('stream.next(timeoutMs) rejects with Timeout and the stream stays usable', async (t) => {
  const { pane } = await withSession(t)
  const stream = await pane.stream()
  t.after(() => stream.close())
  const start = Date.now()
  await assert.rejects(stream.next(200), { code: 'Timeout' })
  assert.ok(Date.now() - start >= 150)
  await pane.exec('echo after-timeout')
  assert.equal((await linesUntil(stream, 'after-timeout')).at(-1).text, 'after-timeout')
  await assert.rejects(stream.next(-1), { code: 'InvalidInput' })
})

test('close() ends a pending next() and the event loop stays free', async (t) => {
  const { pane } = await withSession(t)
  const stream = await pane.stream()
  let ticks = 0
  const ticker = setInterval(() => { ticks += 1 }, 10)
  t.after(() => clearInterval(ticker))
  const pending = stream.next()
  await new Promise((resolve) => setTimeout(resolve, 300))
  stream.close()
  assert.equal(await pending, null)
  assert.ok(ticks >= 10, `only ${ticks} ticks while next() waited`)
})

test('many endless next() calls do not starve the thread pool', async (t) => {
  const { pane } = await withSession(t)
  const streams = await Promise.all([1, 2, 3, 4, 5, 6].map(() => pane.stream()))
  const pending = streams.map((s) => s.next())
  // libuv's pool has 4 threads by default: this would hang if next() held one each.
  assert.equal((await pane.run('echo still-works', TIMEOUT)).output, 'still-works\n')
  for (const s of streams) s.close()
  await Promise.all(pending)
})

test('a stream of a gone pane is NotFound', async (t) => {
  const { session } = await withSession(t)
  const pane = await session.paneCreate('gone')
  await pane.kill()
  await assert.rejects(pane.stream(), { code: 'NotFound' })
})

test('pane.tail', async (t) => {
  const { pane } = await withSession(t)
  await pane.run('for i in 1 2 3 4 5; do echo line-$i; done', TIMEOUT)
  const tail = await pane.tail(3)
  assert.equal(tail.length, 3)
  assert.ok(tail.includes('line-5'))
  await assert.rejects(pane.tail(0), { code: 'InvalidInput' })
  await assert.rejects(pane.tail(-1), { code: 'InvalidInput' })
  await assert.rejects(pane.tail(1.5), { code: 'InvalidInput' })
})

// -- events ---------------------------------------------------------------------------------

test('subscribe sees sessions, finished commands and pattern matches', async (t) => {
  const { client, pane } = await withSession(t)
  const sub = await client.subscribe()
  t.after(() => sub.close())
  assert.equal(sub.viaDaemon, false)
  await client.sessionCreate('second')
  const created = await eventWhere(sub, (e) => e.kind === 'session_created')
  assert.equal(created.session, 'second')
  assert.equal(typeof created.seq, 'number')
  assert.equal(typeof created.time_ms, 'number')
  await pane.run('echo done; (exit 3)', TIMEOUT)
  const finished = await eventWhere(sub, (e) => e.kind === 'command_finished')
  assert.equal(finished.pane, pane.id)
  assert.equal(finished.exit_code, 3)

  const matches = await client.subscribe({ session: 't', pattern: String.raw`port (\d+)` })
  t.after(() => matches.close())
  await pane.exec("echo 'listening on port 8123'")
  const matched = await eventWhere(matches, () => true)
  assert.equal(matched.kind, 'pattern_matched')
  assert.equal(matched.line, 'listening on port 8123')
  assert.equal(matched.matched_text, 'port 8123')
  assert.equal(matched.pane, pane.id)
})

test('for await over a subscription filtered by kind', async (t) => {
  const { client, pane } = await withSession(t)
  const sub = await client.subscribe({ kinds: ['command_finished'], pane: pane.id })
  await pane.run('echo noise', TIMEOUT)
  let event
  for await (event of sub) break
  assert.equal(event.kind, 'command_finished')
  assert.equal(sub.closed, true)
})

test('subscription.next(timeoutMs) rejects with Timeout', async (t) => {
  const { client } = await withSession(t)
  const sub = await client.subscribe({ kinds: ['session_created'] })
  t.after(() => sub.close())
  await assert.rejects(sub.next(200), { code: 'Timeout' })
  const waiting = sub.next(TIMEOUT_MS)
  await client.sessionCreate('later')
  assert.equal((await waiting).session, 'later')
})

test('a bad filter is InvalidInput', async (t) => {
  const { client } = await withSession(t)
  for (const options of [
    { pattern: '(' },
    { kinds: ['no_such_kind'] },
    { kinds: ['unknown'] },
    { pane: '3' },
    { session: 'a:b' },
  ]) {
    await assert.rejects(client.subscribe(options), { code: 'InvalidInput' }, JSON.stringify(options))
  }
})

test('the server going away is ServerUnavailable', async (t) => {
  const { server, client, pane, tmp } = await withSession(t)
  const other = server.client(join(tmp, 'state'))
  const sub = await client.subscribe()
  const stream = await pane.stream()
  await server.close()
  const drain = async (source) => {
    for (;;) await source.next(TIMEOUT_MS)
  }
  await assert.rejects(drain(sub), { code: 'ServerUnavailable' })
  assert.equal(sub.closed, true)
  assert.equal(await sub.next(), null)
  await assert.rejects(drain(stream), { code: 'ServerUnavailable' })
  assert.equal(stream.closed, true)
  await assert.rejects(other.subscribe(), { code: 'ServerUnavailable' })
})

// -- the daemon -----------------------------------------------------------------------------

test('daemon start, status, subscribe through it, logs, stop', async (t) => {
  const { client, pane } = await withSession(t)
  assert.equal((await client.daemonStatus()).running, false)
  await withDaemon(client, undefined, async (report) => {
    assert.equal(report.started, true)
    const status = await client.daemonStatus()
    assert.equal(status.running, true)
    assert.equal(status.reachable, true)
    assert.notEqual(status.pid, process.pid)
    const again = await client.daemonStart()
    assert.equal(again.started, false)
    assert.equal(again.alreadyRunning, true)
    const sub = await client.subscribe({ kinds: ['command_finished'] })
    assert.equal(sub.viaDaemon, true)
    await pane.run('(exit 4)', TIMEOUT)
    assert.equal((await sub.next(TIMEOUT_MS)).exit_code, 4)
    sub.close()
    const logs = await client.daemonLogs(100)
    assert.ok(logs.some((e) => e.kind === 'daemon_started'))
    assert.equal(await client.daemonStop(), true)
  })
  assert.equal((await client.daemonStatus()).running, false)
  assert.equal(await client.daemonStop(), false)
  await assert.rejects(client.daemonLogs(-1), { code: 'InvalidInput' })
})

test('daemonStart with an explicit program', async (t) => {
  const { client } = await withSession(t)
  const daemonJs = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'daemon.js')
  assert.ok(existsSync(daemonJs))
  await withDaemon(client, { program: process.execPath, args: [daemonJs] }, async (report) => {
    assert.equal(report.started, true)
    assert.equal(report.status.running, true)
  })
})

test('daemonRunFromArgs refuses garbage', () => {
  assert.throws(() => ctmux.daemonRunFromArgs(['no', 'such', 'arguments']), { code: 'InvalidInput' })
})

test('autosave makes snapshot_saved events', async (t) => {
  const { client, session } = await withSession(t)
  await withDaemon(client, undefined, async () => {
    const sub = await client.subscribe({ kinds: ['snapshot_saved'] })
    assert.equal(sub.viaDaemon, true)
    await client.autosave(session.name, 1)
    const event = await sub.next(TIMEOUT_MS)
    sub.close()
    assert.equal(event.session, session.name)
    assert.ok(existsSync(event.file))
    const status = await client.daemonStatus()
    assert.deepEqual(status.autosaves.map((a) => a.session), [session.name])
  })
  assert.equal(await client.autosaveStop(session.name), true)
  assert.equal(await client.autosaveStop(session.name), false)
  await assert.rejects(client.autosave(session.name, 0), { code: 'InvalidInput' })
  await assert.rejects(client.autosave('no-such-session', 5), { code: 'NotFound' })
})

test('events and daemon calls before any server runs', async (t) => {
  const { client } = await isolated(t)
  await assert.rejects(client.subscribe(), { code: 'ServerUnavailable' })
  await assert.rejects(client.daemonStart(), { code: 'ServerUnavailable' })
})
