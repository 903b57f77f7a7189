from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


def positive_whole_number(request, name):
    """The query parameter `name` as an int, None if absent; anything but a whole number from 1 up is a 400."""
    value = request.query_params.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ValidationError({name: [_("Give a whole number from 1 up.")]}, code="invalid")
    return int(value)


class Pagination(PageNumberPagination):
    """Every list: {"count", "next", "previous", "results"}, 50 a page unless `page_size` says otherwise.

    Unlike DRF's, a `page` or `page_size` that is not a whole number is refused, not ignored; a page past
    the last one is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_number(self, request, paginator):
        return positive_whole_number(request, self.page_query_param) or 1

    def get_page_size(self, request):
        size = positive_whole_number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
