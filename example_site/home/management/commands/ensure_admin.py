"""Create the demo's superuser with a random password, once, and print the login. Safe to run again."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create a superuser (default 'admin') with a random password if none exists; print the login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@example.com")

    def handle(self, *args: Any, username: str, email: str, **options: Any) -> None:
        user_model = get_user_model()
        if user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).exists():
            self.stdout.write(
                f'The user "{username}" already exists (its password was printed when it was created). '
                f"To set a new one: python manage.py changepassword {username}"
            )
            return
        # The password is shown once, here, and stored only as a hash.
        password = secrets.token_urlsafe(12)
        user_model._default_manager.create_superuser(
            **{user_model.USERNAME_FIELD: username}, email=email, password=password
        )
        self.stdout.write(self.style.SUCCESS("Created the superuser for the admin:"))
        self.stdout.write(f"    username: {username}")
        self.stdout.write(f"    password: {password}")
