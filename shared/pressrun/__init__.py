"""pressrun: serverless, event-driven publishing for news sites."""
