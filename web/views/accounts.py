"""Login, logout, password reset by e-mail and the language switch."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from config.clients import client_address
from ngo.password_reset import request_password_reset


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("web:home")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("web:home")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/reset_request.html"
    success_url = reverse_lazy("web:password_reset_done")

    def form_valid(self, form):
        """The same answer after the same work, whatever the address: the outbox's task looks for the account."""
        request_password_reset(email=form.cleaned_data["email"], client=client_address(self.request),
                               language=get_language())
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_complete.html"


@require_POST
def switch_language(request):
    """Django's set_language (which also moves the page to the other language), remembered for e-mails too."""
    response = set_language(request)
    language = request.POST.get("language")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response
