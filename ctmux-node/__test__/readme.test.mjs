// The README's Node examples and examples/agent.ts run as written, as a user would run them:
// from a directory where `ctmux` is an installed package (node_modules/ctmux -> this package).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const PACKAGE = dirname(dirname(fileURLToPath(import.meta.url)))
const README = join(PACKAGE, '..', 'README.md')

/** The first fenced `language` block after the heading `## section` in README.md. */
function readmeBlock (section, language) {
  const text = readFileSync(README, 'utf8')
  const start = text.indexOf(`\n## ${section}\n`)
  assert.ok(start >= 0, `no section ${section}`)
  const open = text.indexOf('```' + language + '\n', start)
  assert.ok(open >= 0, `no ${language} block in section ${section}`)
  const body = open + language.length + 4
  return text.slice(body, text.indexOf('```', body))
}

/** A scratch dir where `import 'ctmux'` resolves to this package; removed after `t`. */
function userProject (t) {
  const dir = mkdtempSync(join(tmpdir(), 'ctmux-node-user-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(PACKAGE, join(dir, 'node_modules', 'ctmux'))
  return dir
}

test('README Node example', async (t) => {
  const dir = userProject(t)
  writeFileSync(join(dir, 'readme.mjs'), readmeBlock('Node', 'js'))
  const { stdout } = await run(process.execPath, [join(dir, 'readme.mjs')], { cwd: dir, timeout: 120_000 })
  assert.match(stdout, /^check exit code: 0$/m)
  assert.match(stdout, /^server exit code: 0$/m)
})

test('README live output and events example', async (t) => {
  const dir = userProject(t)
  writeFileSync(join(dir, 'live.mjs'), readmeBlock('Live output and events', 'js'))
  const { stdout } = await run(process.execPath, [join(dir, 'live.mjs')], { cwd: dir, timeout: 120_000 })
  assert.match(stdout, /^tick 1\ntick 2\ntick 3\ncommand_finished 0$/m)
  assert.match(stdout, /^daemon running: true$/m)
})

test('examples/agent.ts and examples/live.ts compile and run', async (t) => {
  const dir = userProject(t)
  const tsc = join(PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc')
  await run(process.execPath, [tsc, '-p', join(PACKAGE, 'tsconfig.json'), '--noEmit', 'false', '--outDir', dir],
    { cwd: PACKAGE, timeout: 120_000 })
  // tsc emits CommonJS (the package is not "type": "module"); run it where `ctmux` resolves.
  writeFileSync(join(dir, 'package.json'), '{"type": "commonjs"}\n')
  const { stdout } = await run(process.execPath, [join(dir, 'agent.js')], { cwd: dir, timeout: 120_000 })
  assert.match(stdout, /^exit 0: python3 -c/m)
  assert.match(stdout, /^exit 0: test -d \/tmp$/m)
  assert.match(stdout, /^interrupted \(Timeout\): sleep 60$/m)
  assert.match(stdout, /^server exit code: 0$/m)
  assert.match(stdout, /^1 check\(s\) failed$/m)
  const live = await run(process.execPath, [join(dir, 'live.js')], { cwd: dir, timeout: 120_000 })
  assert.match(live.stdout, /^\d+ one\n\d+ two\ncommand_finished exit 0$/m)
  assert.match(live.stdout, /^command_finished at number$/m)
  assert.match(live.stdout, /^1 false$/m)
})
