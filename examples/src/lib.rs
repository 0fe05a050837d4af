//! Runnable examples of posthog-sdk. See `src/bin/`.
