"""Use cases. Each takes the plugin's `Database`, an actor and a typed command (`commands.py`), and opens,
commits and (after a lost race) retries its own unit of work; the API, the CLI, the worker, the webhooks
and host applications call them and never open a transaction themselves. The functions that take a
`Session` are the steps use cases are made of, run inside their caller's unit of work."""
