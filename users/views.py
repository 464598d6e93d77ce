from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from knox.views import LoginView as KnoxLoginView
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import generics, permissions
from rest_framework.request import Request
from rest_framework.response import Response

from api.ratelimit import AnonRateLimit, LoginRateLimit, RegisterRateLimit
from api.schema import ErrorSerializer
from api.transactions import AtomicWritesMixin

from . import examples
from .authentication import BearerTokenAuthentication
from .serializers import (
    LoginSerializer,
    RegisterSerializer,
    TokenSerializer,
    UserSerializer,
)


@extend_schema(
    tags=["auth"], responses={201: UserSerializer}, examples=examples.REGISTER
)
class RegisterView(generics.CreateAPIView):
    """Create an account. Log in afterwards to get a token."""

    serializer_class = RegisterSerializer
    write_conflicts = True  # a username or email already taken: 409 (the schema)
    # Open by design; a stale token in the header must not block signing up.
    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [RegisterRateLimit, AnonRateLimit]


@extend_schema(tags=["auth"])
class LoginView(KnoxLoginView):
    """Exchange a username and password for a new API token (one per device)."""

    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]
    serializer_class = LoginSerializer
    throttle_classes = [LoginRateLimit, AnonRateLimit]

    def get_authenticate_header(self, request: Request) -> str:
        # Without this DRF turns a failed login into 403; the challenge names the
        # scheme the token is to be used with.
        return BearerTokenAuthentication().authenticate_header(request)

    @extend_schema(
        request=LoginSerializer,
        responses={
            200: TokenSerializer,
            401: OpenApiResponse(ErrorSerializer, "Wrong username or password."),
        },
        examples=examples.LOGIN,
    )
    def post(self, request: Request, format=None) -> Response:
        serializer = LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        request.user = serializer.validated_data["user"]
        return super().post(request, format=format)


@extend_schema(tags=["auth"])
class LogoutView(KnoxLogoutView):
    """Revoke the token this request is made with; other devices stay logged in."""

    authentication_classes = [BearerTokenAuthentication]

    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="Logged out.")}
    )
    def post(self, request: Request, format=None) -> Response:
        return super().post(request, format=format)


@extend_schema(tags=["auth"])
class LogoutAllView(KnoxLogoutAllView):
    """Revoke every token of the caller: log out on every device (a stolen
    token stops working at once, wherever it is)."""

    authentication_classes = [BearerTokenAuthentication]

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Logged out everywhere.")},
    )
    def post(self, request: Request, format=None) -> Response:
        return super().post(request, format=format)


@extend_schema_view(
    get=extend_schema(examples=examples.ME),
    patch=extend_schema(examples=examples.ME_PATCH),
)
@extend_schema(tags=["users"])
class MeView(AtomicWritesMixin, generics.RetrieveUpdateAPIView):
    """The caller's own profile."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]
    write_conflicts = True  # a username or email already taken: 409 (the schema)

    def get_object(self):
        return self.request.user
