//! The encryption-at-rest hook of the on-disk queue, implemented by the app (AES-GCM with a
//! key in the Android Keystore or the iOS Keychain): the core seals each record with it before
//! writing and opens it when the queue is read back at start. The core never sees a key.

use posthog_core as core;
use std::sync::Arc;

/// Why a record could not be sealed or opened (the text goes into reports: never put key
/// material or plaintext in it).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CipherError {
    /// The cipher failed (no key yet, wrong key, tampered data…).
    #[error("{detail}")]
    Failed {
        /// What went wrong.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CipherError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CipherError::Failed { detail: e.reason }
    }
}

/// Seals and opens on-disk queue records. `seal` runs on the capturing thread (keep it fast:
/// AES-GCM on a few hundred bytes), `open` at start. A record that fails to open is reported
/// and given up (counted as failed); a failing `seal` turns the on-disk queue off for the run.
/// Use an authenticated cipher (AES-GCM): `open` must throw on a wrong key or altered bytes.
/// Create the client only once the key is usable.
#[uniffi::export(with_foreign)]
pub trait RecordCipher: Send + Sync {
    /// Encrypts and authenticates one record; the result must not be empty.
    fn seal(&self, plain: Vec<u8>) -> Result<Vec<u8>, CipherError>;
    /// Decrypts what `seal` returned; throws if the key is not the same or the bytes changed.
    fn open(&self, sealed: Vec<u8>) -> Result<Vec<u8>, CipherError>;
}

/// The core's cipher over the app's.
pub(crate) struct ForeignCipher(pub Arc<dyn RecordCipher>);

impl core::RecordCipher for ForeignCipher {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
        self.0.seal(plain.to_vec()).map_err(|e| e.to_string())
    }
    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, String> {
        self.0.open(sealed.to_vec()).map_err(|e| e.to_string())
    }
}
