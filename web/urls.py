"""Member and staff web pages, and the account pages (login, logout, password reset by e-mail)."""
from django.urls import path

from .views import accounts, bookings, members, public, staff

app_name = "web"
urlpatterns = [
    path("", public.home, name="home"),
    path("centres/<id:pk>/", public.centre_detail, name="centre_detail"),
    path("centres/<id:pk>/week/", public.centre_week, name="centre_week"),
    path("resources/<id:pk>/", public.resource_week, name="resource_week"),
    path("resources/<id:pk>/book/", bookings.booking_create, name="booking_create"),
    path("bookings/", bookings.my_bookings, name="my_bookings"),
    path("bookings/<id:pk>/cancel/", bookings.booking_cancel, name="booking_cancel"),
    path("bookings/<id:pk>/cancel-following/", bookings.booking_cancel_following, name="booking_cancel_following"),
    path("subscriptions/", bookings.feeds, name="feeds"),
    path("subscriptions/<id:pk>/revoke/", bookings.feed_revoke, name="feed_revoke"),
    path("organisations/", bookings.organisations, name="organisations"),
    path("organisations/register/", bookings.organisation_register, name="organisation_register"),
    path("organisations/<id:pk>/members/", members.organisation_members, name="organisation_members"),
    path("organisations/<id:pk>/members/<id:user_id>/role/", members.member_set_role, name="member_set_role"),
    path("organisations/<id:pk>/members/<id:user_id>/remove/", members.member_remove, name="member_remove"),
    path("organisations/<id:pk>/invitations/<id:invitation_id>/revoke/", members.invitation_revoke,
         name="invitation_revoke"),
    path("invitations/<str:token>/", members.invitation, name="invitation"),
    path("staff/requests/", staff.approval_queue, name="approval_queue"),
    path("staff/requests/<id:pk>/approve/", staff.booking_approve, name="booking_approve"),
    path("staff/requests/<id:pk>/reject/", staff.booking_reject, name="booking_reject"),
    path("staff/series/<id:pk>/approve/", staff.series_approve, name="series_approve"),
    path("staff/series/<id:pk>/reject/", staff.series_reject, name="series_reject"),
    path("staff/organisations/", staff.organisation_review, name="organisation_review"),
    path("staff/organisations/<id:pk>/status/", staff.organisation_set_status, name="organisation_set_status"),
    path("staff/closures/", staff.closures, name="closures"),
    path("staff/closures/<id:pk>/delete/", staff.closure_delete, name="closure_delete"),
    path("staff/report/", staff.usage_report, name="usage_report"),
    path("language/", accounts.switch_language, name="set_language"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
