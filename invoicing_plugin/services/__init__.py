"""Use cases. Each takes a Session and works inside the caller's transaction; the caller (an API view,
a CLI command, the worker) wraps one use case, plus its idempotency record, in `unit_of_work`, so a
failure anywhere leaves nothing half-written."""
