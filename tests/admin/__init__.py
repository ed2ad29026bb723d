"""Administration: users (test_users_*), roles and permissions, runtime settings."""
