//! Error tracking for apps: an exception as the platform reports it (a JVM `Throwable`'s
//! stack trace elements, Swift's call-stack symbols), converted into the core's
//! [`ExceptionInput`](posthog_core::exception::ExceptionInput); the core builds `$exception`.

use posthog_core::exception::{ExceptionInput, ExceptionOptions, FrameInput, MechanismInput};

/// One stack frame, innermost first, as the platform lists them.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ExceptionFrame {
    /// The method / function (`parse`).
    #[uniffi(default = None)]
    pub function: Option<String>,
    /// The class or module (`com.example.app.Parser`); decides in-app.
    #[uniffi(default = None)]
    pub module: Option<String>,
    /// The source file (`Parser.kt`).
    #[uniffi(default = None)]
    pub filename: Option<String>,
    /// 1-based line; absent when unknown (the JVM's negative line numbers).
    #[uniffi(default = None)]
    pub lineno: Option<u32>,
    /// 1-based column.
    #[uniffi(default = None)]
    pub colno: Option<u32>,
    /// Whether it is the app's code; the core decides from `module` when absent.
    #[uniffi(default = None)]
    pub in_app: Option<bool>,
    /// `java` (the default), `swift`, …
    #[uniffi(default = None)]
    pub platform: Option<String>,
}

/// One exception of a chain: the thrown one first, then its cause, its cause's cause…
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ThrownException {
    /// The type (`java.lang.IllegalStateException`, `MyError`).
    pub type_name: String,
    /// The message.
    #[uniffi(default = None)]
    pub message: Option<String>,
    /// Its frames, innermost first.
    #[uniffi(default = [])]
    pub frames: Vec<ExceptionFrame>,
}

/// How a capture reports the exception.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ExceptionCapture {
    /// `false` for a crash (an uncaught exception): `mechanism.handled`.
    #[uniffi(default = true)]
    pub handled: bool,
    /// `mechanism.type`: `generic` for an explicit capture, `UncaughtExceptionHandler` for
    /// a crash handler, …
    #[uniffi(default = None)]
    pub mechanism: Option<String>,
    /// `$exception_level` (`fatal`, `error`, `warning`, …); `error` when absent.
    #[uniffi(default = None)]
    pub level: Option<String>,
    /// Class / module prefixes that are the app's own code (`com.example.`), beyond the
    /// core's rule (everything but the platform's system frames).
    #[uniffi(default = [])]
    pub in_app_includes: Vec<String>,
}

impl Default for ExceptionCapture {
    fn default() -> Self {
        ExceptionCapture {
            handled: true,
            mechanism: None,
            level: None,
            in_app_includes: Vec::new(),
        }
    }
}

/// The chain as the core's nested input (each next entry the previous one's cause).
pub(crate) fn to_input(chain: Vec<ThrownException>) -> ExceptionInput {
    let mut input: Option<ExceptionInput> = None;
    for exc in chain.into_iter().rev() {
        let frames = exc
            .frames
            .into_iter()
            .map(|f| FrameInput {
                function: f.function,
                module: f.module,
                filename: f.filename,
                lineno: f.lineno.filter(|l| *l > 0).map(u64::from),
                colno: f.colno.filter(|c| *c > 0).map(u64::from),
                in_app: f.in_app,
                platform: f.platform,
                ..FrameInput::default()
            })
            .collect();
        let cause = input.take().map(Box::new);
        input = Some(ExceptionInput {
            type_name: Some(exc.type_name),
            value: exc.message,
            frames: Some(frames),
            cause_source: cause.as_ref().map(|_| "cause".to_string()),
            cause,
            ..ExceptionInput::default()
        });
    }
    input.unwrap_or_default()
}

pub(crate) fn to_options(capture: ExceptionCapture) -> ExceptionOptions {
    ExceptionOptions {
        mechanism: Some(MechanismInput {
            kind: capture.mechanism,
            handled: Some(capture.handled),
            synthetic: None,
        }),
        level: capture.level,
        in_app_include: capture.in_app_includes,
        context_lines: false,
        ..ExceptionOptions::default()
    }
}
