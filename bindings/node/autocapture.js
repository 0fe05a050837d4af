'use strict'
// `enableExceptionAutocapture`: uncaught exceptions and unhandled rejections become
// `$exception` events (`mechanism: { type: 'onuncaughtexception' | 'onunhandledrejection',
// handled: false }`) without changing what the process does with them.
//
// Node's own crash path is left alone: the SDK listens to `uncaughtExceptionMonitor`, which
// Node calls before its default handling (an uncaught exception, and an unhandled rejection
// under the default `--unhandled-rejections=throw` or `strict`) and which changes nothing about
// it. When nothing else handles the error the process is about to print it and exit (code 1),
// so the event is queued and flushed synchronously (at most 2 s) inside the monitor; Node then
// prints the same text and exits with the same code as without the SDK. An `unhandledRejection`
// listener of our own is only added while the application has one (then the rejection is
// handled anyway, so ours changes nothing); it captures those rejections too.
//
// One process-wide set of listeners serves every client that enabled autocapture.

const STATE = Symbol.for('posthog-sdk.exception-autocapture.v1')
/** The bound of the crash-time flush (posthog-node's shutdown bound at a fatal error). */
const CRASH_FLUSH_MS = 2000

const UNCAUGHT = Object.freeze({ type: 'onuncaughtexception', handled: false })
const UNHANDLED_REJECTION = Object.freeze({ type: 'onunhandledrejection', handled: false })

const CONTROL_FLOW_DIGESTS = new Set([
  'HANGING_PROMISE_REJECTION',
  'NEXT_PRERENDER_INTERRUPTED',
  'DYNAMIC_SERVER_USAGE',
  'BAILOUT_TO_CLIENT_SIDE_RENDERING',
])
const REACT_POSTPONE = Symbol.for('react.postpone')

/** Framework control flow (React postpone, Next.js bail-outs) is not an error (posthog-node). */
function isControlFlow(reason, depth = 0) {
  try {
    if (!((typeof reason === 'object' && reason !== null) || typeof reason === 'function')) return false
    if (reason.$$typeof === REACT_POSTPONE) return true
    if (typeof reason.digest === 'string' && CONTROL_FLOW_DIGESTS.has(reason.digest)) return true
    return depth < 5 && isControlFlow(reason.cause, depth + 1)
  } catch {
    return false
  }
}

/** A rejection with an `AbortError` is a cancelled request, not a crash (posthog-node). */
function isIgnored(error, origin) {
  if (isControlFlow(error)) return true
  if (origin !== 'unhandledRejection') return false
  try {
    return typeof error === 'object' && error !== null && error.name === 'AbortError'
  } catch {
    return false
  }
}

function ours(listener) {
  return typeof listener === 'function' && listener._posthogSdkListener === true
}

function mark(listener) {
  return Object.assign(listener, { _posthogSdkListener: true })
}

/** Listeners of the application (not ours, not Node's domain helper). */
function hostListeners(event) {
  return process.listeners(event).filter((l) => !ours(l) && l.name !== 'domainUncaughtExceptionClear')
}

function each(state, f) {
  for (const client of [...state.clients]) {
    try {
      f(client)
    } catch {
      // a failing capture never changes how the process handles the error
    }
  }
}

function install(state) {
  const monitor = mark((error, origin) => {
    const mechanism = origin === 'unhandledRejection' ? UNHANDLED_REJECTION : UNCAUGHT
    if (isIgnored(error, origin)) return
    if (hostListeners('uncaughtException').length > 0) {
      // The application handles it and the process lives on: capture on the next turn, so
      // an explicit captureException in its handler is the one that counts (as posthog-node).
      setImmediate(() => each(state, (c) => c.capture(error, mechanism)))
      return
    }
    // Node prints the error and exits right after this returns.
    each(state, (c) => c.capture(error, mechanism))
    each(state, (c) => c.flushSync(CRASH_FLUSH_MS))
  })
  const rejection = mark((reason) => {
    if (isIgnored(reason, 'unhandledRejection')) return
    setImmediate(() => each(state, (c) => c.capture(reason, UNHANDLED_REJECTION)))
  })
  const follow = () => {
    const present = process.listeners('unhandledRejection').includes(rejection)
    const wanted = hostListeners('unhandledRejection').length > 0
    if (wanted && !present) process.prependListener('unhandledRejection', rejection)
    else if (!wanted && present) process.removeListener('unhandledRejection', rejection)
  }
  const added = mark((event, listener) => {
    if (event === 'unhandledRejection' && !ours(listener)) queueMicrotask(follow)
  })
  const removed = mark((event) => {
    if (event === 'unhandledRejection') follow()
  })
  process.on('uncaughtExceptionMonitor', monitor)
  process.on('newListener', added)
  process.on('removeListener', removed)
  follow()
  state.remove = () => {
    process.removeListener('uncaughtExceptionMonitor', monitor)
    process.removeListener('newListener', added)
    process.removeListener('removeListener', removed)
    process.removeListener('unhandledRejection', rejection)
  }
}

/**
 * Starts autocapture for `client` (`{ capture(error, mechanism), flushSync(ms) }`); returns
 * the function that stops it (the listeners go when the last client stops).
 */
function startAutocapture(client) {
  if (typeof process === 'undefined' || typeof process.on !== 'function') return () => undefined
  let state = globalThis[STATE]
  if (!state) {
    state = { clients: new Set(), remove: () => undefined }
    install(state)
    globalThis[STATE] = state
  }
  state.clients.add(client)
  return () => {
    if (!state.clients.delete(client)) return
    if (state.clients.size === 0 && globalThis[STATE] === state) {
      state.remove()
      delete globalThis[STATE]
    }
  }
}

module.exports = { startAutocapture }
