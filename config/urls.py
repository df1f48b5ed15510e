from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.accounts.throttling import login_throttled
from apps.core.views import healthz, home

# JSON under /api/ (the documented error shape), Django's pages elsewhere.
handler404 = "apps.core.exceptions.page_not_found"
handler500 = "apps.core.exceptions.server_error"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Both login forms are throttled per client address and per username, like the token endpoint.
    path("admin/login/", login_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
    # DRF's login for the browsable API: any active user gets a session (the admin's takes staff only).
    path(
        "api-auth/login/",
        login_throttled(LoginView.as_view(template_name="rest_framework/login.html")),
        name="api-auth-login",
    ),
    path("api-auth/", include("rest_framework.urls")),
    path("api/auth/", include("apps.accounts.urls")),
    path("api/jobs/", include("apps.jobs.urls")),
    # the zndraw-joblib worker client's surface: same services, the original's shapes
    path("v1/joblib/", include("apps.jobs.compat.urls")),
    path("api/projects/", include("apps.projects.urls")),
    path("api/applications/", include("apps.projects.urls_workspaces")),
    path("api/interviews/", include("apps.interviews.urls")),
    path("api/workshops/", include("apps.workshops.urls")),
    path("api/me/", include("apps.projects.urls_me")),
    path("api/livechat/", include("apps.livechat.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script from a URL, not inline: it runs under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]

if settings.SILK_ENABLED:
    urlpatterns.append(path("silk/", include("silk.urls", namespace="silk")))
