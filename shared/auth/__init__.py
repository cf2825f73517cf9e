"""Auth domain: Supabase access tokens, callers, first-login provisioning."""
