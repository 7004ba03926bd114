// The package loads by its name both ways: ESM `import` (index.mjs) and CommonJS `require`
// (index.js), through package.json "exports"; both expose the same names.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as esm from 'ctmux'
import ctmuxDefault, { IsolatedServer } from 'ctmux'

const require = createRequire(import.meta.url)
const cjs = require('ctmux')

test('ESM and CommonJS entry points export the same API', () => {
  const api = (names) => names.filter((n) => n !== 'default' && !n.startsWith('__')).sort()
  assert.deepEqual(api(Object.keys(esm)), api(Object.keys(cjs)))
  for (const name of api(Object.keys(cjs))) {
    assert.equal(esm[name], cjs[name], name)
  }
  assert.equal(ctmuxDefault, cjs)
  assert.equal(IsolatedServer, cjs.IsolatedServer)
})

test('the ESM entry works end to end', async (t) => {
  const server = await IsolatedServer.start()
  t.after(() => server.close())
  const session = await server.client().sessionCreate('esm')
  const result = await (await session.pane(0)).run('echo via-esm', 30)
  assert.equal(result.output, 'via-esm\n')
})
