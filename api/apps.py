from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from ngo.signals import password_changed

        from .authentication import revoke_tokens

        password_changed.connect(revoke_tokens, dispatch_uid="api.revoke_tokens")
