"""The operators' console: system figures, jobs and their retry, accounts and wallet freezes; every action audited."""
