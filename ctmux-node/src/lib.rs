//! # ctmux-node
//!
//! The Node.js addon over `ctmux-core`. Every method that touches tmux converts its
//! arguments, runs the core call on libuv's thread pool (an [`AsyncTask`], so the event loop
//! never blocks; the possibly endless `next()` of streams and subscriptions runs on a thread
//! of its own instead, see [`live`]) and resolves with plain JS objects or handle classes; a core error rejects
//! with an `Error` whose `code` is the kind name ([`errors`], the only place that maps kinds).
//! There is no logic of its own.
//!
//! Layout: [`client`] (`IsolatedServer`, `Client`), [`session`] (`Session`), [`pane`]
//! (`Pane`, `ExecHandle`), [`live`] (`OutputStream`, `Subscription`, the daemon's entry
//! point), [`records`] (returned objects), [`convert`] (arguments). A new
//! core area (groups, snapshots, ...) gets its own file with its classes, its objects in
//! [`records`], and methods that return `Blocking::task(...)`.
//!
//! ```js
//! const { IsolatedServer } = require('ctmux')
//! const server = await IsolatedServer.start()
//! try {
//!   const session = await server.client().sessionCreate('demo')
//!   const pane = await session.pane(0)
//!   const { exitCode, output } = await pane.run('echo hi; false', 10)
//!   // exitCode === 1, output === 'hi\n'
//! } finally {
//!   await server.close()
//! }
//! ```

mod client;
mod convert;
mod errors;
mod live;
mod pane;
mod records;
mod session;

// Limits, GC and metrics history: more methods of `Pane`, `Session` and `Client`.
mod limits;

use errors::IntoNapiResult;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A core call run on the thread pool; resolves with `T` or rejects with the mapped error.
pub struct Blocking<T> {
    job: Option<Box<dyn FnOnce() -> ctmux_core::Result<T> + Send>>,
}

impl<T: ToNapiValue + TypeName + Send + 'static> Blocking<T> {
    /// The Promise-returning task running `job` off the event loop.
    pub(crate) fn task(
        job: impl FnOnce() -> ctmux_core::Result<T> + Send + 'static,
    ) -> AsyncTask<Self> {
        AsyncTask::new(Blocking {
            job: Some(Box::new(job)),
        })
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Blocking<T> {
    type Output = ctmux_core::Result<T>;
    type JsValue = T;

    fn compute(&mut self) -> Result<Self::Output> {
        match self.job.take() {
            Some(job) => Ok(job()),
            None => Err(Error::new(Status::GenericFailure, "task already ran")),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<T> {
        output.js_err(&env)
    }
}

/// The version of ctmux-core this addon was built from.
#[napi]
pub fn version() -> String {
    ctmux_core::VERSION.to_owned()
}

/// Run the event daemon in this process until it is asked to stop; blocks (what `daemon.js`
/// calls, in a process of its own started by `client.daemonStart()`).
#[napi]
pub fn daemon_run_from_args(env: Env, args: Vec<String>) -> Result<()> {
    ctmux_core::daemon::run_from_args(&args).js_err(&env)
}
