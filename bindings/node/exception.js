'use strict'
// What was thrown → the core's `ExceptionInput` (plain data, JSON-able). Only what needs the
// live JavaScript value is read here: whether it is an Error (as posthog-node's ErrorCoercer
// tells), its name, message, stack text, `cause` and an AggregateError's `errors`. A value that
// is not an Error (a string, a number, a plain object, an Event) is described as facts
// (`thrown`); the core words its type and message as posthog-node does and parses every stack.

/** Most entries of one `$exception_list` (posthog-node's bound; the core keeps it too). */
const MAX_EXCEPTIONS = 50
/** Most AggregateError members looked at in one capture (posthog-node's bound). */
const MAX_MEMBER_INSPECTIONS = 1000
/** How deep an object wrapping an Error (`{ error: new Error() }`) is followed. */
const MAX_WRAPPER_DEPTH = 4
const MAX_PROTOTYPE_DEPTH = 100

const ERROR_TAGS = new Set([
  '[object Error]',
  '[object Exception]',
  '[object DOMException]',
  '[object DOMError]',
  '[object WebAssembly.Exception]',
])

/** posthog-node's `isError`: an Error by its tag, or an instance of `Error`. */
function isError(value) {
  if (ERROR_TAGS.has(Object.prototype.toString.call(value))) return true
  try {
    return value instanceof Error
  } catch {
    return false
  }
}

function isEvent(value) {
  try {
    return typeof Event !== 'undefined' && value instanceof Event
  } catch {
    return false
  }
}

function isReference(value) {
  return (typeof value === 'object' && value !== null) || typeof value === 'function'
}

/** The non-empty stack text of an Error or object (`stacktrace` first, as posthog-node). */
function ownStack(value) {
  try {
    if (typeof value.stacktrace === 'string' && value.stacktrace.length > 0) return value.stacktrace
    return typeof value.stack === 'string' && value.stack.length > 0 ? value.stack : undefined
  } catch {
    return undefined
  }
}

/** An AggregateError's `errors` (a class named AggregateError in the prototype chain). */
function aggregateMembers(value) {
  try {
    if (!isError(value)) return undefined
    let proto = Object.getPrototypeOf(value)
    for (let depth = 0; proto && depth < MAX_PROTOTYPE_DEPTH; depth++) {
      const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value
      if (typeof ctor === 'function' && ctor.name === 'AggregateError') {
        return Array.isArray(value.errors) ? value.errors : undefined
      }
      proto = Object.getPrototypeOf(proto)
    }
  } catch {
    // a hostile getter: no members
  }
  return undefined
}

function className(value) {
  try {
    const proto = Object.getPrototypeOf(value)
    const name = proto ? proto.constructor.name : undefined
    return typeof name === 'string' ? name : undefined
  } catch {
    return undefined
  }
}

function keysOf(value) {
  try {
    return Object.keys(value)
  } catch {
    return []
  }
}

/** A synthetic stack's description: the capture call's stack, its message line skipped. */
function withSynthetic(input, stack) {
  input.synthetic = true
  if (stack !== undefined) {
    input.stack = stack
    input.skip_stack_lines = 1
  }
  return input
}

/** posthog-node's fallback when a value cannot be read. */
function fallback(stack) {
  return withSynthetic({ type: 'Error', value: 'Unknown error' }, stack)
}

/**
 * The `ExceptionInput` of `value`. `syntheticStack` (the stack text of an Error made at the
 * capture call) stands in for the stack of a value that has none; only the captured value
 * itself gets it, not its causes or members.
 */
function describeThrown(value, syntheticStack) {
  const state = { count: 0, inspections: 0, seen: new Set(), wrappers: [] }
  return coerce(value, 0, 0, state, syntheticStack) ?? fallback(syntheticStack)
}

function coerce(value, depth, wrapperDepth, state, syntheticStack) {
  const stack = depth === 0 ? syntheticStack : undefined
  if (wrapperDepth > MAX_WRAPPER_DEPTH || (wrapperDepth > 0 && state.wrappers.includes(value))) return fallback(stack)
  const ref = isReference(value)
  if ((wrapperDepth === 0 && state.count >= MAX_EXCEPTIONS) || (ref && state.seen.has(value))) return undefined
  if (ref) state.seen.add(value)
  if (wrapperDepth === 0) state.count++
  const members = aggregateMembers(value)
  let input
  try {
    input = one(value, depth, wrapperDepth, state, stack)
  } catch {
    input = fallback(stack)
  }
  if (input === undefined) {
    if (wrapperDepth === 0) state.count--
    return undefined
  }
  if (!members || state.count >= MAX_EXCEPTIONS) return input
  const children = []
  for (let i = 0; state.count < MAX_EXCEPTIONS && state.inspections < MAX_MEMBER_INSPECTIONS && i < members.length; i++) {
    state.inspections++
    let child
    try {
      child = coerce(members[i], depth + 1, 0, state, undefined)
    } catch {
      state.count++
      child = fallback(undefined)
    }
    if (child) children.push(child)
  }
  input.members = children
  return input
}

/** One value, in posthog-node's coercer order: Event, Error, object, string, primitive. */
function one(value, depth, wrapperDepth, state, stack) {
  if (isEvent(value)) {
    return withSynthetic({ thrown: { kind: 'event', class_name: className(value) ?? 'Event', keys: keysOf(value) } }, stack)
  }
  if (isError(value)) {
    const own = ownStack(value)
    const input = { type: errorType(value), value: errorMessage(value) }
    if (own !== undefined) input.stack = own
    // An Error without a stack takes the capture call's (synthetic only when there is one).
    else if (stack !== undefined) withSynthetic(input, stack)
    let cause
    try {
      cause = value.cause
    } catch {
      cause = undefined
    }
    if (cause) {
      const c = coerce(cause, depth + 1, 0, state, undefined)
      if (c) input.cause = c
    }
    return input
  }
  if (typeof value === 'object' && value !== null) {
    const wrapped = errorProperty(value)
    if (wrapped !== undefined) {
      state.wrappers.push(value)
      try {
        return coerce(wrapped, depth, wrapperDepth + 1, state, stack)
      } finally {
        state.wrappers.pop()
      }
    }
    const thrown = { kind: 'object', keys: keysOf(value) }
    const cls = className(value)
    if (cls !== undefined) thrown.class_name = cls
    if ('name' in value && typeof value.name === 'string') thrown.name = value.name
    if ('message' in value && typeof value.message === 'string') thrown.message = value.message
    const own = ownStack(value)
    if (own !== undefined) thrown.stack = own
    return withSynthetic({ thrown }, stack)
  }
  if (typeof value === 'string') return withSynthetic({ thrown: { kind: 'string', value } }, stack)
  return withSynthetic({ thrown: { kind: 'primitive', text: String(value) } }, stack)
}

/** posthog-node's ErrorCoercer type: `name`, else the constructor's name. */
function errorType(err) {
  const name = err.name || err.constructor?.name
  return typeof name === 'string' && name !== '' ? name : 'Error'
}

/** posthog-node's ErrorCoercer message (a `{ error: { message } }` message is unwrapped). */
function errorMessage(err) {
  const message = err.message
  if (message && message.error && typeof message.error.message === 'string') return String(message.error.message)
  return String(message)
}

/** The first own enumerable property that is an Error (posthog-node's ObjectCoercer). */
function errorProperty(obj) {
  for (const key in obj) {
    if (Object.prototype.hasOwnProperty.call(obj, key) && isError(obj[key])) return obj[key]
  }
  return undefined
}

module.exports = { describeThrown, isError, MAX_EXCEPTIONS }
