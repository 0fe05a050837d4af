// The Android library (AAR) of the uniffi binding: one module, this directory.
// Built by .github/workflows/uniffi.yml: `gradle -p bindings/uniffi/android assembleRelease`.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "posthog-sdk-android"
