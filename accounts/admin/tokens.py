"""Staff administration of API tokens and two-factor devices."""
