"""Login, logout, signing up (with the address confirmed by e-mail), password reset by e-mail, the language switch,
and a person's account page (their password and the language of their e-mails)."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from config.clients import client_address
from ngo.exceptions import RuleViolation
from ngo.password_reset import request_password_reset
from ngo.services import set_language as set_email_language
from ngo.signup import confirm_email, send_confirmation_again, sign_up
from ngo.throttles import WINDOW_SECONDS

from ..forms import AccountSignUpForm, ConfirmationAgainForm, EmailLanguageForm, LoginForm


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = LoginForm
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
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        set_email_language(actor=request.user, language=language)
    return response


@login_required
def account(request):
    """Who is logged in, the language of their e-mails, and the way to change their password."""
    form = EmailLanguageForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        try:
            set_email_language(actor=request.user, language=form.cleaned_data["language"])
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            messages.success(request, _("Your e-mails will be in %(language)s.")
                             % {"language": request.user.get_language_display()})
            return redirect("web:account")
    return render(request, "web/account.html", {"form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page, which keeps this session; the new password ends the person's other sessions and, through
    `ngo.signals.password_changed`, their API tokens."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("web:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed. Other devices and apps that used the old one "
                                         "are signed out."))
        return response


# Refusals of the sign-up pages that are no field's fault, and their status.
SIGNUP_REFUSALS = {"too_many": 429, "link_expired": 410, "link_invalid": 400}


def signup(request):
    """Create an account; the same answer (the "check your e-mail" page) whatever the address."""
    if request.user.is_authenticated:
        return redirect("web:welcome")
    form = AccountSignUpForm(request.POST or None, initial={"language": get_language()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                sign_up(email=data["email"], password=data["password1"], first_name=data["first_name"],
                        last_name=data["last_name"], language=data["language"], client=client_address(request))
            except ValidationError as error:
                form.add_account_errors(error)
            except RuleViolation as violation:
                form.add_violation(violation)
                status = SIGNUP_REFUSALS.get(violation.code, 400)
            else:
                return redirect("web:signup_sent")
    return _answer(render(request, "registration/signup.html", {"form": form}, status=status))


def signup_sent(request):
    return render(request, "registration/signup_sent.html", {"days": settings.SIGNUP_LINK_DAYS})


def signup_again(request):
    """Send the confirmation link again; the same answer whatever the address."""
    form = ConfirmationAgainForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                send_confirmation_again(email=form.cleaned_data["email"], client=client_address(request))
            except RuleViolation as violation:
                form.add_violation(violation)
                status = SIGNUP_REFUSALS.get(violation.code, 400)
            else:
                return redirect("web:signup_sent")
    return _answer(render(request, "registration/signup_again.html", {"form": form}, status=status))


def _answer(response):
    """A refusal for too many requests says when to come back, as the API's throttles do."""
    if response.status_code == 429:
        response["Retry-After"] = str(WINDOW_SECONDS)
    return response


def signup_confirm(request, token):
    """The link in the confirmation e-mail: the account becomes active, and its person logs in to go on."""
    try:
        user, _confirmed_now = confirm_email(token=token)
    except RuleViolation as violation:
        return render(request, "registration/signup_link.html",
                      {"refusal": violation.message, "form": ConfirmationAgainForm()},
                      status=SIGNUP_REFUSALS.get(violation.code, 400))
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("web:welcome")
    messages.success(request, _("Your e-mail address is confirmed. Log in with it and your password."))
    return redirect(f"{reverse('web:login')}?next={reverse('web:welcome')}")


@login_required
def welcome(request):
    """Where a new account goes on: register an organisation, or accept the invitation it was sent."""
    return render(request, "registration/welcome.html")
