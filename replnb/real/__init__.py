"""Real database servers for the course: PostgreSQL and MariaDB on loopback."""
