"""Member and staff web pages, and the account pages (login, logout, password reset by e-mail)."""
from django.urls import path

from . import views

app_name = "booking"
urlpatterns = [
    path("", views.home, name="home"),
    path("centres/<int:pk>/", views.centre_detail, name="centre_detail"),
    path("centres/<int:pk>/week/", views.centre_week, name="centre_week"),
    path("resources/<int:pk>/", views.resource_week, name="resource_week"),
    path("resources/<int:pk>/book/", views.booking_create, name="booking_create"),
    path("bookings/", views.my_bookings, name="my_bookings"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:pk>/cancel-following/", views.booking_cancel_following, name="booking_cancel_following"),
    path("subscriptions/", views.feeds, name="feeds"),
    path("subscriptions/<int:pk>/revoke/", views.feed_revoke, name="feed_revoke"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/register/", views.organisation_register, name="organisation_register"),
    path("organisations/<int:pk>/members/", views.organisation_members, name="organisation_members"),
    path("organisations/<int:pk>/members/<int:user_id>/role/", views.member_set_role, name="member_set_role"),
    path("organisations/<int:pk>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("staff/requests/", views.approval_queue, name="approval_queue"),
    path("staff/requests/<int:pk>/approve/", views.booking_approve, name="booking_approve"),
    path("staff/requests/<int:pk>/reject/", views.booking_reject, name="booking_reject"),
    path("staff/series/<int:pk>/approve/", views.series_approve, name="series_approve"),
    path("staff/series/<int:pk>/reject/", views.series_reject, name="series_reject"),
    path("staff/organisations/", views.organisation_review, name="organisation_review"),
    path("staff/organisations/<int:pk>/status/", views.organisation_set_status, name="organisation_set_status"),
    path("staff/closures/", views.closures, name="closures"),
    path("staff/closures/<int:pk>/delete/", views.closure_delete, name="closure_delete"),
    path("staff/report/", views.usage_report, name="usage_report"),
    path("language/", views.switch_language, name="set_language"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
