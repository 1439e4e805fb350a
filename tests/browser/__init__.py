"""Tests in a real browser: a package, so the browser fixture ends with this folder."""
