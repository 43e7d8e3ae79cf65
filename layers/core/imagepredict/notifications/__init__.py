"""Result emails: owed once per finished prediction, queued so classification never waits on (or fails with) the
email service, and sent at the pace the SES account allows."""
