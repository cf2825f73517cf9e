"""The local stack: real Postgres and emulators on 127.0.0.1, started and stopped by one launcher."""
