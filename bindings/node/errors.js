'use strict'
// The errors of the package: `PostHogError` (the core's error kinds as `code`), the binding's
// own `NotSupportedError`, and the helpers that turn native failures into them.

const native = require('./index.js')

/** An error of the PostHog client: `code` is the core's error kind, `status` the HTTP status. */
class PostHogError extends Error {
  constructor(message, code, status = null) {
    super(message)
    this.name = 'PostHogError'
    this.code = code
    this.status = status
  }

  /** A PostHogError from a native error or an error payload `{ code, message, status }`. */
  static from(e) {
    if (e instanceof PostHogError) return e
    const code = e && CODES.has(e.code) ? e.code : 'unexpected'
    const status = e && typeof e.status === 'number' ? e.status : null
    const err = new PostHogError(String(e && e.message !== undefined ? e.message : e), code, status)
    for (const k of ['requestId', 'reason', 'scope', 'attr']) {
      if (e && typeof e[k] === 'string') err[k] = e[k]
    }
    if (e && typeof e.retryAfter === 'number') err.retryAfter = e.retryAfter
    if (e instanceof Error && e.stack) err.stack = `PostHogError: ${err.message}\n${e.stack.split('\n').slice(1).join('\n')}`
    return err
  }
}

/**
 * A posthog-node method, property or option this package does not provide (`code`
 * `'not_supported'`, a code of this binding, not one of the core's error kinds).
 */
class NotSupportedError extends PostHogError {
  constructor(message) {
    super(message, 'not_supported')
    this.name = 'NotSupportedError'
  }
}

const CODES = new Set(native._errorCodes())

function invalidInput(message) {
  return new PostHogError(message, 'invalid_input')
}

function rethrow(e) {
  throw PostHogError.from(e)
}


/** Runs a native call that returns a Promise; every failure becomes a rejected PostHogError. */
function call(fn, then) {
  let p
  try {
    p = fn()
  } catch (e) {
    return Promise.reject(PostHogError.from(e))
  }
  return p.then(then, rethrow)
}

module.exports = { PostHogError, NotSupportedError, invalidInput, rethrow, call }
