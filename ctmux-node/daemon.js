'use strict'
// Entry point of the ctmux event daemon: `node daemon.js <arguments>`. `client.daemonStart()`
// runs it in a separate process with the arguments the core writes (which server, which
// state dir); it serves until asked to stop (`client.daemonStop()`, SIGTERM). Not meant to
// be run by hand.
const { daemonRunFromArgs } = require('./index.js')

daemonRunFromArgs(process.argv.slice(2))
