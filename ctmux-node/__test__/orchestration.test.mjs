// Groups, dependencies, health, snapshots and metrics through the addon.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { withSession, TIMEOUT } from './helpers.mjs'

test('groups and dependencies', async (t) => {
  const { client } = await withSession(t)
  const info = await client.groupCreate('web', { team: 'infra' })
  assert.equal(info.name, 'web')
  assert.deepEqual(info.metadata, { team: 'infra' })
  assert.deepEqual(info.members, [])
  await client.sessionCreate('db')
  await client.groupAdd('web', 't')
  await client.groupAdd('web', 'db')
  await client.groupAdd('web', 'api', { command: 'sleep 300' })
  await client.sessionDepends('t', 'db')
  const order = await client.startOrder('web')
  assert.ok(order.indexOf('db') < order.indexOf('t'), order.join(' '))
  const [group] = await client.groupList('web')
  const members = Object.fromEntries(group.members.map((m) => [m.name, m]))
  assert.equal(members.t.status, 'live')
  assert.deepEqual(members.t.dependsOn, ['db'])
  assert.equal(members.api.status, 'missing')
  assert.equal(members.api.start.command, 'sleep 300')

  const up = await client.groupUp('web', TIMEOUT)
  assert.equal(up.failure ?? null, null)
  assert.ok(up.steps.some((s) => s.session === 'api'))
  const runs = await client.groupExec('web', 'echo hi', { wait: true, timeout: TIMEOUT })
  const done = Object.fromEntries(runs.map((r) => [r.session, r]))
  assert.equal(done.t.status, 'ok')
  assert.equal(done.t.output, 'hi\n')
  assert.equal(done.api.status, 'error') // busy running sleep

  const overview = await client.sessionsListAll()
  assert.deepEqual(overview.sessions.map((s) => s.name).sort(), ['api', 'db', 't'])
  assert.deepEqual(await client.panesCountGlobal(), { paneCount: 3, sessionCount: 3 })
  const found = await client.sessionsFindPattern('^hi$')
  assert.ok(found.some((m) => m.name === 't'))

  await client.sessionDependsRemove('t', 'db')
  await client.groupRemove('web', 'db')
  const kills = await client.groupKill('web')
  assert.deepEqual(Object.fromEntries(kills.map((k) => [k.session, k.status])), { t: 'killed', api: 'killed' })
  await client.groupDelete('web')
  assert.deepEqual(await client.groupList(), [])

  await assert.rejects(client.groupAdd('nope', 'db'), { code: 'NotFound' })
  await assert.rejects(client.groupList('nope'), { code: 'NotFound' })
})

test('health', async (t) => {
  const { client } = await withSession(t)
  const report = await client.sessionHealth('t')
  assert.equal(report.session, 't')
  assert.equal(report.health, 'healthy')
  assert.deepEqual(report.reasons, [])
  assert.equal((await client.sessionWaitHealthy('t', TIMEOUT)).health, 'healthy')
  const missing = await client.sessionHealth('gone')
  assert.equal(missing.health, 'unhealthy')
  assert.deepEqual(missing.reasons.map((r) => r.kind), ['missing'])

  await assert.rejects(client.sessionWaitHealthy('gone', 0.3), { code: 'Timeout' })
  await assert.rejects(client.sessionHealth('bad:name'), { code: 'InvalidInput' })
})

test('snapshots', async (t) => {
  const { client, session, tmp } = await withSession(t)
  await session.paneCreate('side')
  const saved = await client.sessionSave('t')
  assert.equal(saved.session, 't')
  assert.equal(saved.format, 'ctmux')
  assert.equal(saved.panes, 2)
  const [entry] = await client.sessionSnapshots('t')
  assert.equal(entry.file, saved.file)
  assert.equal(entry.error ?? null, null)

  const dry = await client.sessionRestore(saved.file, { name: 'copy', dryRun: true })
  assert.equal(dry.dryRun, true)
  assert.equal(dry.sessionId ?? null, null)
  const restored = await client.sessionRestore(saved.file, { name: 'copy' })
  assert.equal(restored.session, 'copy')
  assert.equal(await (await client.session('copy')).paneCount(), 2)

  const file = join(tmp, 't.json')
  assert.equal((await client.sessionSave('t', { file })).file, file)
  await client.sessionSnapshotDelete(saved.file)
  assert.deepEqual(await client.sessionSnapshots(), [])

  const corrupt = join(tmp, 'corrupt.json')
  writeFileSync(corrupt, '{ not json')
  await assert.rejects(client.sessionRestore(corrupt), { code: 'Corrupt' })
  await assert.rejects(client.sessionSave('t', { format: 'yaml' }), { code: 'InvalidInput' })
})

test('metrics', async (t) => {
  const { session, pane } = await withSession(t)
  const m = await pane.metrics(20, true)
  assert.equal(m.paneId, pane.id)
  assert.ok(m.processCount >= 1 && m.memoryMb > 0)
  const { pid } = await pane.info()
  assert.ok(m.processes.some((p) => p.pid === pid))
  const s = await session.metrics(20)
  assert.deepEqual(s.panes.map((p) => p.paneId), [pane.id])
  assert.equal(s.total.paneId, '')

  // The client's sampler is shared: a later reading rates over a kept sample instead of
  // taking a fresh 1 s pair.
  const cold = await pane.metrics(1000)
  assert.ok(cold.sampleIntervalMs >= 1000, JSON.stringify(cold))
  await new Promise((resolve) => setTimeout(resolve, 80))
  const warm = await pane.metrics(1000)
  assert.ok(warm.sampleIntervalMs >= 50 && warm.sampleIntervalMs < 1000, JSON.stringify(warm))

  for (const bad of [5, -1, 2.5]) {
    await assert.rejects(pane.metrics(bad), { code: 'InvalidInput' }, String(bad))
  }
  await assert.rejects(session.metrics(120000), { code: 'InvalidInput' })
})
