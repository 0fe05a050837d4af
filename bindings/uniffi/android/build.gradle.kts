// com.posthog:posthog-sdk-android: the generated Kotlin (uniffi, package com.posthog.sdk) and
// the hand-written companions in ../kotlin/src/main/kotlin, with libposthog_sdk_uniffi.so for
// each ABI (cargo-ndk), loaded through JNA. Nothing here is generated or built by Gradle itself:
// the workflow (.github/workflows/uniffi.yml) or README.md makes the two inputs first.
plugins {
    id("com.android.library") version "8.5.2"
    id("org.jetbrains.kotlin.android") version "2.1.21"
    `maven-publish`
}

group = "com.posthog"
version = providers.gradleProperty("posthog.version").get()

// The generated Kotlin (uniffi-bindgen --language kotlin) and the jniLibs tree
// (<abi>/libposthog_sdk_uniffi.so), from gradle.properties or -P.
val generatedKotlin = file(providers.gradleProperty("posthog.generatedKotlin").get())
val jniLibsDir = file(providers.gradleProperty("posthog.jniLibs").get())

android {
    namespace = "com.posthog.sdk"
    compileSdk = 34

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    sourceSets["main"].apply {
        java.srcDir(generatedKotlin)
        java.srcDir("../kotlin/src/main/kotlin")
        jniLibs.srcDir(jniLibsDir)
    }

    publishing {
        singleVariant("release") {
            withSourcesJar()
        }
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // JNA's AAR carries libjnidispatch.so for every Android ABI (the plain jar has none).
    implementation("net.java.dev.jna:jna:5.14.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}

// Fail early, with the command to run, when an input is missing.
tasks.named("preBuild") {
    val kotlinFile = generatedKotlin.resolve("com/posthog/sdk/posthog_sdk_uniffi.kt")
    val libs = jniLibsDir
    doFirst {
        check(kotlinFile.isFile) {
            "no generated Kotlin at $kotlinFile: run uniffi-bindgen --language kotlin (README.md)"
        }
        check(libs.listFiles()?.any { it.resolve("libposthog_sdk_uniffi.so").isFile } == true) {
            "no <abi>/libposthog_sdk_uniffi.so in $libs: run cargo ndk (README.md)"
        }
    }
}

publishing {
    publications {
        register<MavenPublication>("release") {
            groupId = "com.posthog"
            artifactId = "posthog-sdk-android"
            afterEvaluate {
                from(components["release"])
            }
            pom {
                name.set("posthog-sdk-android")
                description.set("PostHog client for Android: the Rust core (posthog-sdk) through uniffi and JNA.")
                licenses {
                    license {
                        name.set("MIT")
                    }
                }
            }
        }
    }
}
