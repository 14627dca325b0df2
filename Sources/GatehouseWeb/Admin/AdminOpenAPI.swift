/// The OpenAPI 3.1 document of the admin API (`/admin/v1/…`, AdminController) and the headless auth API (`/v1/…`,
/// HeadlessController), served at `/admin/v1/openapi.json`. It must describe exactly the routes those controllers
/// register; tests/interop/test_openapi.py checks that in both directions.
enum AdminOpenAPI {
    static let document = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Gatehouse admin and headless auth API",
    "version": "1.0.0",
    "description": "The admin API (`/admin/v1/…`) and the headless auth API (`/v1/…`) of Gatehouse, a multi-tenant OAuth 2.0 / OpenID Connect provider.\n\nAdmin API conventions: JSON bodies with `snake_case` keys, sent as `application/json` (415 otherwise; `application/merge-patch+json` is accepted as a synonym); unknown fields are rejected (422, `is not a known field`), and so is `null` (422, `must not be null`: leave a field out to keep its value) except where a schema allows it: there it removes the field or puts it back to its default, as in JSON merge patch (RFC 7396); every invalid field is reported at once in the `errors` member of an RFC 9457 `application/problem+json` answer; creation answers 201, deletion 204. Every single resource's GET (and PATCH/PUT answer) carries a strong `ETag`; send it back in `If-Match` on PATCH, PUT or DELETE to refuse a lost update with 412. Every POST accepts an `Idempotency-Key`: a retry with the same key and body within 24 hours returns the first answer. Lifetimes (`*_ttl`) are in seconds; timestamps are RFC 3339 in UTC. Authenticate with `Authorization: Bearer` and either the instance admin token or a tenant-scoped admin token (see the security schemes; `x-required-scope` names the scope an operation needs, `x-instance-only` marks operations for the instance admin token only).\n\nHeadless auth API: for apps that draw their own sign-in UI; see the `Headless auth` operations."
  },
  "servers": [{"url": "/", "description": "The server's public URL."}],
  "tags": [
    {"name": "Tenants", "description": "Tenants: the top-level isolation unit, each a complete issuer."},
    {"name": "Clients", "description": "OAuth 2.0 clients of a tenant."},
    {"name": "Users", "description": "End users of a tenant."},
    {"name": "Sessions", "description": "Sign-in sessions of a tenant's users."},
    {"name": "Signing keys", "description": "A tenant's token signing keys and their rotation."},
    {"name": "Templates", "description": "A tenant's page and email templates: overrides of the defaults, and test emails."},
    {"name": "Providers", "description": "Upstream login providers of a tenant (OpenID Connect, OAuth 2.0, GitHub, Google, Microsoft)."},
    {"name": "Headless auth", "description": "Sign-in API for first-party apps with their own UI."},
    {"name": "Meta", "description": "This document."}
  ],
  "paths": {
    "/admin/v1/openapi.json": {
      "get": {
        "operationId": "getOpenAPIDocument",
        "tags": ["Meta"],
        "summary": "This OpenAPI document",
        "description": "The OpenAPI 3.1 description of the admin API and the headless auth API. No authentication.",
        "security": [],
        "responses": {"200": {"description": "The document.", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/admin/v1/tenants": {
      "get": {
        "operationId": "listTenants",
        "tags": ["Tenants"],
        "summary": "List tenants",
        "description": "The tenants of the instance by slug, a page at a time (`limit`, `after`; `next_cursor` is null on the last page).\n\nInstance admin token only: tenant-scoped admin tokens get 404.",
        "security": [{"instanceAdminToken": []}],
        "x-instance-only": true,
        "parameters": [
          {"$ref": "#/components/parameters/Limit"},
          {"$ref": "#/components/parameters/After"}
        ],
        "responses": {
          "200": {"description": "The tenants.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TenantList"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      },
      "post": {
        "operationId": "createTenant",
        "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
        "tags": ["Tenants"],
        "summary": "Create a tenant",
        "description": "Creates a tenant with its own database and signing keys. Its issuer is `{public_url}/t/{slug}`.\n\nInstance admin token only: tenant-scoped admin tokens get 404.",
        "security": [{"instanceAdminToken": []}],
        "x-instance-only": true,
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TenantCreate"}}}},
        "responses": {
          "409": {"$ref": "#/components/responses/IdempotencyConflict"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "201": {"description": "The new tenant.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "get": {
        "operationId": "getTenant",
        "tags": ["Tenants"],
        "summary": "Show a tenant",
        "description": "The tenant and its settings (lifetimes in seconds).\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:read` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["tenant:read"]}],
        "x-required-scope": "tenant:read",
        "responses": {
          "200": {"description": "The tenant.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      },
      "patch": {
        "operationId": "updateTenant",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": ["Tenants"],
        "summary": "Update a tenant's name and settings",
        "description": "Changes the display name and merges `settings` into the current settings (lifetimes in seconds). The slug and environment cannot change.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["tenant:write"]}],
        "x-required-scope": "tenant:write",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/TenantUpdate"}},
            "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/TenantUpdate"}}
          }
        },
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "200": {"description": "The updated tenant.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "delete": {
        "operationId": "deleteTenant",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": ["Tenants"],
        "summary": "Delete a tenant",
        "description": "Deletes the tenant with all its data: clients, users, sessions, grants and keys.\n\nInstance admin token only: tenant-scoped admin tokens get 404.",
        "security": [{"instanceAdminToken": []}],
        "x-instance-only": true,
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "204": {"description": "Deleted."},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/clients": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "get": {
        "operationId": "listClients",
        "tags": ["Clients"],
        "summary": "List clients",
        "description": "The tenant's OAuth clients by `client_id`, a page at a time (`limit`, `after`; `next_cursor` is null on the last page); never secret keys.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `clients:read` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["clients:read"]}],
        "x-required-scope": "clients:read",
        "parameters": [
          {"$ref": "#/components/parameters/Limit"},
          {"$ref": "#/components/parameters/After"}
        ],
        "responses": {
          "200": {"description": "The clients.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClientList"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "post": {
        "operationId": "createClient",
        "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
        "tags": ["Clients"],
        "summary": "Create a client",
        "description": "Registers an OAuth client. The `client_id` is a publishable key `pk_<environment>_…`; a confidential client also gets its secret key `sk_<environment>_…` in `client_secret`, returned only in this response.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `clients:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["clients:write"]}],
        "x-required-scope": "clients:write",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClientCreate"}}}},
        "responses": {
          "409": {"$ref": "#/components/responses/IdempotencyConflict"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "201": {
            "description": "The new client (with `client_secret` when confidential).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Client"}}}
          },
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/clients/{client_id}": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}, {"$ref": "#/components/parameters/ClientId"}],
      "get": {
        "operationId": "getClient",
        "tags": ["Clients"],
        "summary": "Show a client",
        "description": "The client (never its secret key).\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `clients:read` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["clients:read"]}],
        "x-required-scope": "clients:read",
        "responses": {
          "200": {"description": "The client.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Client"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "patch": {
        "operationId": "updateClient",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": ["Clients"],
        "summary": "Update a client",
        "description": "Changes the given fields; lists replace the current ones. The type cannot change.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `clients:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["clients:write"]}],
        "x-required-scope": "clients:write",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ClientUpdate"}},
            "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/ClientUpdate"}}
          }
        },
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "200": {"description": "The updated client.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Client"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "delete": {
        "operationId": "deleteClient",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": ["Clients"],
        "summary": "Delete a client",
        "description": "Deletes the client and revokes its grants and tokens.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `clients:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["clients:write"]}],
        "x-required-scope": "clients:write",
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "204": {"description": "Deleted."},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/clients/{client_id}/rotate-secret": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}, {"$ref": "#/components/parameters/ClientId"}],
      "post": {
        "operationId": "rotateClientSecret",
        "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
        "tags": ["Clients"],
        "summary": "Rotate a client's secret key",
        "description": "Issues a new secret key for a confidential client, returned once in `client_secret`. The previous key stays valid for `overlap_seconds` (default 0: it stops working at once); `previous_secret_expires_at` tells until when. Public clients have no secret (400).\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `clients:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["clients:write"]}],
        "x-required-scope": "clients:write",
        "requestBody": {
          "required": false,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SecretRotation"}}},
          "description": "Optional: send no body (and no Content-Type) for the defaults."
        },
        "responses": {
          "409": {"$ref": "#/components/responses/IdempotencyConflict"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "200": {
            "description": "The client with its new secret key.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClientWithSecret"}}}
          },
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/users": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "get": {
        "operationId": "listUsers",
        "tags": ["Users"],
        "summary": "List users",
        "description": "The tenant's users, oldest first, a page at a time (`limit`, `after`; `next_cursor` is null on the last page), optionally filtered by `email` or `q`.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `users:read` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["users:read"]}],
        "x-required-scope": "users:read",
        "parameters": [
          {"$ref": "#/components/parameters/Limit"},
          {"$ref": "#/components/parameters/After"},
          {"name": "email", "in": "query", "required": false, "description": "Only the user with this email (normalized like sign-in); not an email address → 422.", "schema": {"type": "string", "minLength": 1, "maxLength": 254}},
          {"name": "q", "in": "query", "required": false, "description": "Only users whose email or name contains this text (ASCII case-insensitive).", "schema": {"type": "string", "minLength": 1, "maxLength": 200}}
        ],
        "responses": {
          "200": {"description": "The users.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserList"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "post": {
        "operationId": "createUser",
        "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
        "tags": ["Users"],
        "summary": "Create a user",
        "description": "Creates a user; the password, if any, is hashed with Argon2id.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `users:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["users:write"]}],
        "x-required-scope": "users:write",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserCreate"}}}},
        "responses": {
          "409": {"$ref": "#/components/responses/IdempotencyConflict"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "201": {"description": "The new user.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/users/{user_id}": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}, {"$ref": "#/components/parameters/UserId"}],
      "get": {
        "operationId": "getUser",
        "tags": ["Users"],
        "summary": "Show a user",
        "description": "The user.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `users:read` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["users:read"]}],
        "x-required-scope": "users:read",
        "responses": {
          "200": {"description": "The user.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "patch": {
        "operationId": "updateUser",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": ["Users"],
        "summary": "Update a user",
        "description": "Changes the given fields. Disabling the user or setting a new password ends the user's sessions and revokes their grants.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `users:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["users:write"]}],
        "x-required-scope": "users:write",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/UserUpdate"}},
            "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/UserUpdate"}}
          }
        },
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "200": {"description": "The updated user.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "delete": {
        "operationId": "deleteUser",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": ["Users"],
        "summary": "Delete a user",
        "description": "Deletes the user, ends their sessions and revokes their grants; their tokens stop working at once.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `users:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["users:write"]}],
        "x-required-scope": "users:write",
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "204": {"description": "Deleted."},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/sessions": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "get": {
        "operationId": "listSessions",
        "tags": ["Sessions"],
        "summary": "List active sessions",
        "description": "Active (neither ended nor expired) sign-in sessions, newest first, a page at a time (`limit`, `after`; `next_cursor` is null on the last page); optionally of one user.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `sessions:read` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["sessions:read"]}],
        "x-required-scope": "sessions:read",
        "parameters": [
          {"$ref": "#/components/parameters/Limit"},
          {"$ref": "#/components/parameters/After"},
          {
            "name": "user_id",
            "in": "query",
            "required": false,
            "description": "Only this user's sessions; not a user id → 422.",
            "schema": {"type": "string", "pattern": "^usr_[0-9A-HJKMNP-TV-Z]{26}$"}
          }
        ],
        "responses": {
          "200": {"description": "The sessions.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionList"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/sessions/{session_id}": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}, {"$ref": "#/components/parameters/SessionId"}],
      "delete": {
        "operationId": "revokeSession",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": ["Sessions"],
        "summary": "Revoke a session",
        "description": "Ends the session and revokes the grants made in it (those without `offline_access`).\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `sessions:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["sessions:write"]}],
        "x-required-scope": "sessions:write",
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "204": {"description": "Revoked."},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/keys": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "get": {
        "operationId": "listKeys",
        "tags": ["Signing keys"],
        "summary": "List signing keys",
        "description": "The tenant's signing keys that are still published (status `next`, `active` or `retired`) with their schedule.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `keys:read` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["keys:read"]}],
        "x-required-scope": "keys:read",
        "responses": {
          "200": {"description": "The keys.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SigningKeyList"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/keys/rotate": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "post": {
        "operationId": "rotateKeys",
        "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
        "tags": ["Signing keys"],
        "summary": "Rotate signing keys",
        "description": "Starts a rotation for each algorithm: publishes a new key (status `next`) that starts signing after the pre-publication window, and schedules the current key's retirement. An algorithm whose rotation is already pending returns its pending key. Answers the new (or pending) keys.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `keys:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["keys:write"]}],
        "x-required-scope": "keys:write",
        "requestBody": {
          "required": false,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/KeyRotation"}}},
          "description": "Optional: send no body (and no Content-Type) for the defaults."
        },
        "responses": {
          "409": {"$ref": "#/components/responses/IdempotencyConflict"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "200": {
            "description": "The keys that will sign next.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SigningKeyList"}}}
          },
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/templates": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "get": {
        "operationId": "listTemplates",
        "tags": ["Templates"],
        "summary": "List templates",
        "description": "Every page and email template, and whether the tenant overrides it. Names are `page/<name>` (a file `templates/pages/<name>.mustache` exists) or `email/<name>` (`templates/email/<name>.subject.mustache`).\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:read` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["tenant:read"]}],
        "x-required-scope": "tenant:read",
        "responses": {
          "200": {"description": "The templates.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TemplateList"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/templates/{kind}/{name}": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}, {"$ref": "#/components/parameters/TemplateKind"}, {"$ref": "#/components/parameters/TemplateName"}],
      "get": {
        "operationId": "getTemplate",
        "tags": ["Templates"],
        "summary": "Show a template",
        "description": "The template the tenant uses: its override, or the default (`overridden` says which). A page has a `body`; an email has a `subject`, a `text` part and an `html` part (`null`: text only).\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:read` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["tenant:read"]}],
        "x-required-scope": "tenant:read",
        "responses": {
          "200": {"description": "The template.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Template"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "put": {
        "operationId": "putTemplate",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": ["Templates"],
        "summary": "Override a template",
        "description": "Stores the tenant's override; it applies to the next page or email. Pages: `{\"body\"}` (required). Emails: `{\"subject\", \"text\", \"html\"}` (`subject` and `text` required; without `html` the email is text only). Mustache; output values with `{{name}}` (HTML-escaped in pages and in the email's HTML part). Refused with 422, one `errors` entry per problem, each message starting with `line N:`: a part that does not parse (unclosed or mismatched sections, unclosed tags), unescaped output (`{{{x}}}`, `{{& x}}`), delimiter changes (`{{=…=}}`), pragmas (`{{% …}}`), template inheritance, and partials other than the default page partials (`{{> _head}}`, `{{> _foot}}`; none in partials and emails).\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["tenant:write"]}],
        "x-required-scope": "tenant:write",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TemplateUpdate"}}}},
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "200": {"description": "The stored override.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Template"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "delete": {
        "operationId": "resetTemplate",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": ["Templates"],
        "summary": "Remove a template override",
        "description": "Deletes the tenant's override, so the default applies again (204 also when there was none).\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["tenant:write"]}],
        "x-required-scope": "tenant:write",
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "204": {"description": "The default applies."},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/templates/{kind}/{name}/test": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}, {"$ref": "#/components/parameters/TemplateKind"}, {"$ref": "#/components/parameters/TemplateName"}],
      "post": {
        "operationId": "testTemplate",
        "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
        "tags": ["Templates"],
        "summary": "Send a test email",
        "description": "Renders the tenant's email template (override or default) with sample values (links and codes that do not work) and queues it to `to`, like any other email: through SMTP, or as a `.eml` file in `<data>/outbox/` without SMTP. Delivery is asynchronous and retried; the answer says the message is queued. Page templates answer 422 Rate limited per tenant to a burst of 10 and one more every 6 seconds (10 a minute): beyond that 429 with `Retry-After`.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:write` scope (otherwise 403).",
        "security": [{"instanceAdminToken": []}, {"tenantAdminToken": ["tenant:write"]}],
        "x-required-scope": "tenant:write",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TemplateTest"}}}},
        "responses": {
          "409": {"$ref": "#/components/responses/IdempotencyConflict"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "200": {"description": "Queued.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TemplateTestResult"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"$ref": "#/components/responses/ValidationFailed"},
          "429": {"$ref": "#/components/responses/TooManyRequests"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/admin/v1/tenants/{slug}/providers": {
      "parameters": [
        {
          "$ref": "#/components/parameters/Slug"
        }
      ],
      "get": {
        "operationId": "listProviders",
        "tags": [
          "Providers"
        ],
        "summary": "List upstream login providers",
        "description": "The tenant's upstream login providers (never their client secrets), ordered by slug.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:read` scope (otherwise 403).",
        "security": [
          {
            "instanceAdminToken": []
          },
          {
            "tenantAdminToken": [
              "tenant:read"
            ]
          }
        ],
        "x-required-scope": "tenant:read",
        "responses": {
          "200": {
            "description": "The providers.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ProviderList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "post": {
        "operationId": "createProvider",
        "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
        "tags": [
          "Providers"
        ],
        "summary": "Add an upstream login provider",
        "description": "Adds an upstream provider that the tenant's users can sign in with; its button appears on the tenant's login page when `enabled`. Kinds: `oidc` (needs `discovery_url`), `oauth2` (needs `authorization_url`, `token_url`, `userinfo_url`; `claim_mapping` names the user-info fields), and the presets `github`, `google`, `microsoft`. The client secret is encrypted at rest and never shown again. Register the answer's `redirect_uri` at the provider. Nothing is fetched from the provider until the first sign-in.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:write` scope (otherwise 403).",
        "security": [
          {
            "instanceAdminToken": []
          },
          {
            "tenantAdminToken": [
              "tenant:write"
            ]
          }
        ],
        "x-required-scope": "tenant:write",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ProviderCreate"
              }
            }
          }
        },
        "responses": {
          "409": {"$ref": "#/components/responses/IdempotencyConflict"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "201": {
            "description": "The new provider.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Provider"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/admin/v1/tenants/{slug}/providers/{provider}": {
      "parameters": [
        {
          "$ref": "#/components/parameters/Slug"
        },
        {
          "$ref": "#/components/parameters/ProviderKey"
        }
      ],
      "get": {
        "operationId": "getProvider",
        "tags": [
          "Providers"
        ],
        "summary": "Show an upstream login provider",
        "description": "One provider, with the URLs and scopes in effect (preset defaults included) and the redirect URI to register at the provider; never the client secret.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:read` scope (otherwise 403).",
        "security": [
          {
            "instanceAdminToken": []
          },
          {
            "tenantAdminToken": [
              "tenant:read"
            ]
          }
        ],
        "x-required-scope": "tenant:read",
        "responses": {
          "200": {
            "description": "The provider.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Provider"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "patch": {
        "operationId": "updateProvider",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": [
          "Providers"
        ],
        "summary": "Update an upstream login provider",
        "description": "Changes the fields given; the kind cannot change. For optional strings (`client_secret`, URLs, `issuer`, `microsoft_tenant`) an empty string removes the value. Cached discovery documents and keys of the provider are dropped.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:write` scope (otherwise 403).",
        "security": [
          {
            "instanceAdminToken": []
          },
          {
            "tenantAdminToken": [
              "tenant:write"
            ]
          }
        ],
        "x-required-scope": "tenant:write",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ProviderUpdate"
              }
            }
          }
        },
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "413": {"$ref": "#/components/responses/ContentTooLarge"},
          "200": {
            "description": "The updated provider.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Provider"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "delete": {
        "operationId": "deleteProvider",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "tags": [
          "Providers"
        ],
        "summary": "Remove an upstream login provider",
        "description": "Removes the provider with its linked identities; users keep their other sign-in methods.\n\nRequires the instance admin token, or a tenant-scoped admin token of this tenant with the `tenant:write` scope (otherwise 403).",
        "security": [
          {
            "instanceAdminToken": []
          },
          {
            "tenantAdminToken": [
              "tenant:write"
            ]
          }
        ],
        "x-required-scope": "tenant:write",
        "responses": {
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "204": {
            "description": "Removed."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/admin/v1/tenants/{slug}/export": {
      "parameters": [
        {
          "$ref": "#/components/parameters/Slug"
        }
      ],
      "post": {
        "operationId": "exportTenant",
        "x-instance-only": true,
        "tags": [
          "Tenants"
        ],
        "summary": "Export a tenant as one file",
        "description": "Answers the tenant as one archive (`gatehouse-tenant-archive v1`): its settings and database — users with password hashes and second factors, clients, upstream providers, templates, consents and signing keys — encrypted under the passphrase (Argon2id, 64 MiB, 3 iterations; XChaCha20-Poly1305 secretstream). Sessions, codes, refresh tokens and pending sign-ins are left out and every grant is marked revoked, so no token of the source works at an import. Taken online: the tenant keeps serving.\n\nInstance admin token only: tenant-scoped admin tokens get 404.",
        "parameters": [
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          }
        ],
        "security": [
          {
            "instanceAdminToken": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/TenantExport"
              }
            }
          }
        },
        "responses": {
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/IdempotencyConflict"
          },
          "413": {
            "$ref": "#/components/responses/ContentTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "200": {
            "description": "The archive.",
            "headers": {
              "Content-Disposition": {
                "description": "`attachment; filename=\"{slug}.gatehouse-tenant\"`",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "application/vnd.gatehouse.tenant-archive": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/vnd.gatehouse.tenant-archive"
                }
              }
            }
          }
        }
      }
    },
    "/admin/v1/tenants/{slug}/clone": {
      "parameters": [
        {
          "$ref": "#/components/parameters/Slug"
        }
      ],
      "post": {
        "operationId": "cloneTenant",
        "x-instance-only": true,
        "tags": [
          "Tenants"
        ],
        "summary": "Copy a tenant within this instance",
        "description": "Creates tenant `to` from this one: settings (without the own `hostname`), templates, upstream providers, users, consents and clients — every client with new keys. The copy signs with new keys of its own and has no sessions or tokens. With `scrub_pii`, every email becomes `{user id}@example.invalid`, every name `User {last 6 characters of the id}`, and passwords, second factors, recovery codes and upstream identities are dropped; the copy's database file is rewritten so that no source value remains in it.\n\nInstance admin token only: tenant-scoped admin tokens get 404.",
        "parameters": [
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          }
        ],
        "security": [
          {
            "instanceAdminToken": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/TenantClone"
              }
            }
          }
        },
        "responses": {
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/ContentTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "201": {
            "description": "The new tenant, its user count, and the clients given new keys (their secrets are shown only here).",
            "headers": {
              "Location": {
                "description": "The new tenant's admin URL.",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TenantCopy"
                }
              }
            }
          }
        }
      }
    },
    "/admin/v1/tenant-imports": {
      "post": {
        "operationId": "importTenant",
        "x-instance-only": true,
        "tags": [
          "Tenants"
        ],
        "summary": "Create a tenant from an exported archive",
        "description": "The body is an archive made by `POST /admin/v1/tenants/{slug}/export` (at most 256 MiB); its passphrase goes in the `Gatehouse-Archive-Passphrase` header, never in the URL. The new tenant takes `slug` (default: the exported tenant's). Users keep their ids, passwords and second factors; signing keys come along; clients keep their keys unless a key already exists in this instance, and then get new ones (reported once). A wrong passphrase and an altered file are refused alike (422, field `archive`); an archive written by a newer version is refused (503).\n\nInstance admin token only: tenant-scoped admin tokens get 404.",
        "parameters": [
          {
            "name": "slug",
            "in": "query",
            "required": false,
            "description": "Slug of the new tenant.",
            "schema": {
              "type": "string",
              "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
            }
          },
          {
            "name": "Gatehouse-Archive-Passphrase",
            "in": "header",
            "required": true,
            "description": "The archive's passphrase.",
            "schema": {
              "type": "string",
              "minLength": 1
            }
          },
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          }
        ],
        "security": [
          {
            "instanceAdminToken": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "format": "binary"
              }
            }
          }
        },
        "responses": {
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/ContentTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/ValidationFailed"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "201": {
            "description": "The new tenant, its user count, and the clients given new keys (their secrets are shown only here).",
            "headers": {
              "Location": {
                "description": "The new tenant's admin URL.",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TenantCopy"
                }
              }
            }
          }
        }
      }
    },
    "/v1/auth/sign-in": {
      "post": {
        "operationId": "headlessSignIn",
        "tags": ["Headless auth"],
        "summary": "Sign in with email and password",
        "description": "Verifies the credentials, starts a session (`amr: [\"pwd\"]`) and a grant, and answers the tokens the token endpoint would issue, plus the session and the user. Wrong email or password, or a disabled user: `invalid_grant`.\n\nHeadless auth API: the tenant and client are chosen by the key in the request — `X-Client-Id: pk_…` (public first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of confidential first-party clients). Only first-party clients may use it. Browser calls get CORS headers when their Origin is in the tenant's `allowed_origins`. Errors are RFC 6749 JSON `{\"error\", \"error_description\"}`.",
        "security": [{"publishableKey": []}, {"secretKey": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignInRequest"}}}},
        "responses": {
          "413": {"$ref": "#/components/responses/OAuthContentTooLarge"},
          "200": {"description": "Signed in, or the next step (email verification, MFA challenge or enrolment).", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/SignInResponse"}, {"$ref": "#/components/schemas/Challenge"}]}}}},
          "429": {"$ref": "#/components/responses/OAuthTooManyRequests"},
          "400": {"$ref": "#/components/responses/OAuthBadRequest"},
          "401": {"$ref": "#/components/responses/OAuthUnauthorized"},
          "500": {"$ref": "#/components/responses/OAuthServerError"},
          "503": {"$ref": "#/components/responses/OAuthUnavailable"}
        }
      },
      "options": {
        "operationId": "preflightSignIn",
        "tags": ["Headless auth"],
        "summary": "CORS preflight for /v1/auth/sign-in",
        "description": "Answers a CORS preflight without a client key. When the `Origin` is in some tenant's `allowed_origins` the answer allows it (methods `GET, POST, OPTIONS`; headers `Authorization, Content-Type, X-Client-Id, Accept`; max age 600); the actual request is then checked against its own tenant's origins.",
        "security": [],
        "parameters": [{"name": "Origin", "in": "header", "required": false, "schema": {"type": "string"}}],
        "responses": {
          "204": {
            "description": "Preflight answer; CORS headers only when the origin is allowed.",
            "headers": {
              "Access-Control-Allow-Origin": {"schema": {"type": "string"}},
              "Access-Control-Allow-Methods": {"schema": {"type": "string"}},
              "Access-Control-Allow-Headers": {"schema": {"type": "string"}},
              "Access-Control-Max-Age": {"schema": {"type": "integer"}}
            }
          }
        }
      }
    },
    "/v1/auth/refresh": {
      "post": {
        "operationId": "headlessRefresh",
        "tags": ["Headless auth"],
        "summary": "Refresh tokens",
        "description": "The refresh token grant with rotation: the refresh token is replaced by a new one; reusing a rotated token after the grace window revokes the whole grant. The client must have the `refresh_token` grant type.\n\nHeadless auth API: the tenant and client are chosen by the key in the request — `X-Client-Id: pk_…` (public first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of confidential first-party clients). Only first-party clients may use it. Browser calls get CORS headers when their Origin is in the tenant's `allowed_origins`. Errors are RFC 6749 JSON `{\"error\", \"error_description\"}`.",
        "security": [{"publishableKey": []}, {"secretKey": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RefreshRequest"}}}},
        "responses": {
          "413": {"$ref": "#/components/responses/OAuthContentTooLarge"},
          "200": {"description": "New tokens.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenResponse"}}}},
          "400": {"$ref": "#/components/responses/OAuthBadRequest"},
          "401": {"$ref": "#/components/responses/OAuthUnauthorized"},
          "500": {"$ref": "#/components/responses/OAuthServerError"}
        }
      },
      "options": {
        "operationId": "preflightRefresh",
        "tags": ["Headless auth"],
        "summary": "CORS preflight for /v1/auth/refresh",
        "description": "Answers a CORS preflight without a client key. When the `Origin` is in some tenant's `allowed_origins` the answer allows it (methods `GET, POST, OPTIONS`; headers `Authorization, Content-Type, X-Client-Id, Accept`; max age 600); the actual request is then checked against its own tenant's origins.",
        "security": [],
        "parameters": [{"name": "Origin", "in": "header", "required": false, "schema": {"type": "string"}}],
        "responses": {
          "204": {
            "description": "Preflight answer; CORS headers only when the origin is allowed.",
            "headers": {
              "Access-Control-Allow-Origin": {"schema": {"type": "string"}},
              "Access-Control-Allow-Methods": {"schema": {"type": "string"}},
              "Access-Control-Allow-Headers": {"schema": {"type": "string"}},
              "Access-Control-Max-Age": {"schema": {"type": "integer"}}
            }
          }
        }
      }
    },
    "/v1/auth/sign-out": {
      "post": {
        "operationId": "headlessSignOut",
        "tags": ["Headless auth"],
        "summary": "Sign out",
        "description": "Ends the session of the bearer access token (`Authorization: Bearer <access token>` with `X-Client-Id`), or — without an access token — the session of the grant of `{\"refresh_token\"}` in the body, revoking that grant. An unknown refresh token is not an error.\n\nHeadless auth API: the tenant and client are chosen by the key in the request — `X-Client-Id: pk_…` (public first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of confidential first-party clients). Only first-party clients may use it. Browser calls get CORS headers when their Origin is in the tenant's `allowed_origins`. Errors are RFC 6749 JSON `{\"error\", \"error_description\"}`.",
        "security": [{"publishableKey": [], "userAccessToken": []}, {"publishableKey": []}, {"secretKey": []}],
        "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignOutRequest"}}}},
        "responses": {
          "413": {"$ref": "#/components/responses/OAuthContentTooLarge"},
          "204": {"description": "Signed out."},
          "400": {"$ref": "#/components/responses/OAuthBadRequest"},
          "401": {"$ref": "#/components/responses/OAuthUnauthorized"},
          "500": {"$ref": "#/components/responses/OAuthServerError"}
        }
      },
      "options": {
        "operationId": "preflightSignOut",
        "tags": ["Headless auth"],
        "summary": "CORS preflight for /v1/auth/sign-out",
        "description": "Answers a CORS preflight without a client key. When the `Origin` is in some tenant's `allowed_origins` the answer allows it (methods `GET, POST, OPTIONS`; headers `Authorization, Content-Type, X-Client-Id, Accept`; max age 600); the actual request is then checked against its own tenant's origins.",
        "security": [],
        "parameters": [{"name": "Origin", "in": "header", "required": false, "schema": {"type": "string"}}],
        "responses": {
          "204": {
            "description": "Preflight answer; CORS headers only when the origin is allowed.",
            "headers": {
              "Access-Control-Allow-Origin": {"schema": {"type": "string"}},
              "Access-Control-Allow-Methods": {"schema": {"type": "string"}},
              "Access-Control-Allow-Headers": {"schema": {"type": "string"}},
              "Access-Control-Max-Age": {"schema": {"type": "integer"}}
            }
          }
        }
      }
    },
    "/v1/auth/session": {
      "get": {
        "operationId": "headlessGetSession",
        "tags": ["Headless auth"],
        "summary": "The current session",
        "description": "The session behind the bearer access token (issued to this client). A token without an active session: `invalid_token`.\n\nHeadless auth API: the tenant and client are chosen by the key in the request — `X-Client-Id: pk_…` (public first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of confidential first-party clients). Only first-party clients may use it. Browser calls get CORS headers when their Origin is in the tenant's `allowed_origins`. Errors are RFC 6749 JSON `{\"error\", \"error_description\"}`.",
        "security": [{"publishableKey": [], "userAccessToken": []}],
        "responses": {
          "200": {"description": "The session.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionResponse"}}}},
          "400": {"$ref": "#/components/responses/OAuthBadRequest"},
          "401": {"$ref": "#/components/responses/OAuthUnauthorized"},
          "500": {"$ref": "#/components/responses/OAuthServerError"}
        }
      },
      "options": {
        "operationId": "preflightSession",
        "tags": ["Headless auth"],
        "summary": "CORS preflight for /v1/auth/session",
        "description": "Answers a CORS preflight without a client key. When the `Origin` is in some tenant's `allowed_origins` the answer allows it (methods `GET, POST, OPTIONS`; headers `Authorization, Content-Type, X-Client-Id, Accept`; max age 600); the actual request is then checked against its own tenant's origins.",
        "security": [],
        "parameters": [{"name": "Origin", "in": "header", "required": false, "schema": {"type": "string"}}],
        "responses": {
          "204": {
            "description": "Preflight answer; CORS headers only when the origin is allowed.",
            "headers": {
              "Access-Control-Allow-Origin": {"schema": {"type": "string"}},
              "Access-Control-Allow-Methods": {"schema": {"type": "string"}},
              "Access-Control-Allow-Headers": {"schema": {"type": "string"}},
              "Access-Control-Max-Age": {"schema": {"type": "integer"}}
            }
          }
        }
      }
    },
    "/v1/auth/sign-up": {
      "post": {
        "operationId": "headlessSignUp",
        "tags": ["Headless auth"],
        "summary": "Create an account",
        "description": "Creates a user (tenant switch `self_signup`; password policy after NIST SP 800-63B: 8–256 characters, common passwords refused) and emails a verification code and link. Then behaves like sign-in: tokens, or the next step. A duplicate address (compared case-insensitively) is `invalid_request` — except when the tenant sets `require_verified_email`: then the answer is the same `email_verification_required` challenge a new address gets (no code completes it) and the owner is emailed that someone tried to sign up, so the answer reveals no account. Sign-up disabled is `access_denied`.\n\nHeadless auth API: the tenant and client are chosen by the key in the request — `X-Client-Id: pk_…` (public first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of confidential first-party clients). Only first-party clients may use it. Browser calls get CORS headers when their Origin is in the tenant's `allowed_origins`. Errors are RFC 6749 JSON `{\"error\", \"error_description\"}`.",
        "security": [{"publishableKey": []}, {"secretKey": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignUpRequest"}}}},
        "responses": {
          "413": {"$ref": "#/components/responses/OAuthContentTooLarge"},
          "200": {"description": "Signed in, or the next step.", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/SignInResponse"}, {"$ref": "#/components/schemas/Challenge"}]}}}},
          "400": {"$ref": "#/components/responses/OAuthBadRequest"},
          "401": {"$ref": "#/components/responses/OAuthUnauthorized"},
          "429": {"$ref": "#/components/responses/OAuthTooManyRequests"},
          "500": {"$ref": "#/components/responses/OAuthServerError"}
        }
      },
      "options": {
        "operationId": "preflightHeadlessSignUp",
        "tags": ["Headless auth"],
        "summary": "CORS preflight for /v1/auth/sign-up",
        "description": "Answers a CORS preflight without a client key, allowing origins that some tenant allows; the actual request is checked against its own tenant's origins.",
        "security": [],
        "parameters": [{"name": "Origin", "in": "header", "required": false, "schema": {"type": "string"}}],
        "responses": {"204": {"description": "Preflight answer; CORS headers only when the origin is allowed."}}
      }
    },
    "/v1/auth/verify-email": {
      "post": {
        "operationId": "headlessVerifyEmail",
        "tags": ["Headless auth"],
        "summary": "Verify the email address of a pending sign-in",
        "description": "Completes an `email_verification_required` step with the emailed 6-digit code (single use, 5 attempts). Answers tokens or the next step (MFA).\n\nHeadless auth API: the tenant and client are chosen by the key in the request — `X-Client-Id: pk_…` (public first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of confidential first-party clients). Only first-party clients may use it. Browser calls get CORS headers when their Origin is in the tenant's `allowed_origins`. Errors are RFC 6749 JSON `{\"error\", \"error_description\"}`.",
        "security": [{"publishableKey": []}, {"secretKey": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerifyEmailRequest"}}}},
        "responses": {
          "413": {"$ref": "#/components/responses/OAuthContentTooLarge"},
          "200": {"description": "Signed in, or the next step.", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/SignInResponse"}, {"$ref": "#/components/schemas/Challenge"}]}}}},
          "400": {"$ref": "#/components/responses/OAuthBadRequest"},
          "401": {"$ref": "#/components/responses/OAuthUnauthorized"},
          "429": {"$ref": "#/components/responses/OAuthTooManyRequests"},
          "500": {"$ref": "#/components/responses/OAuthServerError"}
        }
      },
      "options": {
        "operationId": "preflightHeadlessVerifyEmail",
        "tags": ["Headless auth"],
        "summary": "CORS preflight for /v1/auth/verify-email",
        "description": "Answers a CORS preflight without a client key, allowing origins that some tenant allows; the actual request is checked against its own tenant's origins.",
        "security": [],
        "parameters": [{"name": "Origin", "in": "header", "required": false, "schema": {"type": "string"}}],
        "responses": {"204": {"description": "Preflight answer; CORS headers only when the origin is allowed."}}
      }
    },
    "/v1/auth/mfa/verify": {
      "post": {
        "operationId": "headlessVerifyMFA",
        "tags": ["Headless auth"],
        "summary": "Complete an MFA challenge or enrolment",
        "description": "`mfa_required`: a TOTP code (RFC 6238, ±1 step, never twice), an emailed code or a recovery code. `mfa_enrollment_required`: the first TOTP code of the enrolled secret; the answer then carries the new recovery codes once. Five wrong codes end the challenge. The tokens' `amr` names the methods used and `mfa`.\n\nHeadless auth API: the tenant and client are chosen by the key in the request — `X-Client-Id: pk_…` (public first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of confidential first-party clients). Only first-party clients may use it. Browser calls get CORS headers when their Origin is in the tenant's `allowed_origins`. Errors are RFC 6749 JSON `{\"error\", \"error_description\"}`.",
        "security": [{"publishableKey": []}, {"secretKey": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MFAVerifyRequest"}}}},
        "responses": {
          "413": {"$ref": "#/components/responses/OAuthContentTooLarge"},
          "200": {"description": "Signed in, or the next step.", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/SignInResponse"}, {"$ref": "#/components/schemas/Challenge"}]}}}},
          "400": {"$ref": "#/components/responses/OAuthBadRequest"},
          "401": {"$ref": "#/components/responses/OAuthUnauthorized"},
          "429": {"$ref": "#/components/responses/OAuthTooManyRequests"},
          "500": {"$ref": "#/components/responses/OAuthServerError"}
        }
      },
      "options": {
        "operationId": "preflightHeadlessVerifyMFA",
        "tags": ["Headless auth"],
        "summary": "CORS preflight for /v1/auth/mfa/verify",
        "description": "Answers a CORS preflight without a client key, allowing origins that some tenant allows; the actual request is checked against its own tenant's origins.",
        "security": [],
        "parameters": [{"name": "Origin", "in": "header", "required": false, "schema": {"type": "string"}}],
        "responses": {"204": {"description": "Preflight answer; CORS headers only when the origin is allowed."}}
      }
    },
    "/v1/auth/mfa/email": {
      "post": {
        "operationId": "headlessSendMFAEmail",
        "tags": ["Headless auth"],
        "summary": "Email a code for an MFA challenge",
        "description": "Sends a 6-digit code (10 minutes) to a user who enrolled codes by email. Rate-limited per IP.\n\nHeadless auth API: the tenant and client are chosen by the key in the request — `X-Client-Id: pk_…` (public first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of confidential first-party clients). Only first-party clients may use it. Browser calls get CORS headers when their Origin is in the tenant's `allowed_origins`. Errors are RFC 6749 JSON `{\"error\", \"error_description\"}`.",
        "security": [{"publishableKey": []}, {"secretKey": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MFAEmailRequest"}}}},
        "responses": {
          "413": {"$ref": "#/components/responses/OAuthContentTooLarge"},
          "204": {"description": "Sent."},
          "400": {"$ref": "#/components/responses/OAuthBadRequest"},
          "401": {"$ref": "#/components/responses/OAuthUnauthorized"},
          "429": {"$ref": "#/components/responses/OAuthTooManyRequests"},
          "500": {"$ref": "#/components/responses/OAuthServerError"}
        }
      },
      "options": {
        "operationId": "preflightHeadlessSendMFAEmail",
        "tags": ["Headless auth"],
        "summary": "CORS preflight for /v1/auth/mfa/email",
        "description": "Answers a CORS preflight without a client key, allowing origins that some tenant allows; the actual request is checked against its own tenant's origins.",
        "security": [],
        "parameters": [{"name": "Origin", "in": "header", "required": false, "schema": {"type": "string"}}],
        "responses": {"204": {"description": "Preflight answer; CORS headers only when the origin is allowed."}}
      }
    },
    "/v1/me": {
      "get": {
        "operationId": "headlessGetMe",
        "tags": ["Headless auth"],
        "summary": "The signed-in user",
        "description": "The user the bearer access token (issued to this client) was issued for. A disabled or deleted user: `invalid_token`.\n\nHeadless auth API: the tenant and client are chosen by the key in the request — `X-Client-Id: pk_…` (public first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of confidential first-party clients). Only first-party clients may use it. Browser calls get CORS headers when their Origin is in the tenant's `allowed_origins`. Errors are RFC 6749 JSON `{\"error\", \"error_description\"}`.",
        "security": [{"publishableKey": [], "userAccessToken": []}],
        "responses": {
          "200": {"description": "The user.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
          "400": {"$ref": "#/components/responses/OAuthBadRequest"},
          "401": {"$ref": "#/components/responses/OAuthUnauthorized"},
          "500": {"$ref": "#/components/responses/OAuthServerError"}
        }
      },
      "options": {
        "operationId": "preflightMe",
        "tags": ["Headless auth"],
        "summary": "CORS preflight for /v1/me",
        "description": "Answers a CORS preflight without a client key. When the `Origin` is in some tenant's `allowed_origins` the answer allows it (methods `GET, POST, OPTIONS`; headers `Authorization, Content-Type, X-Client-Id, Accept`; max age 600); the actual request is then checked against its own tenant's origins.",
        "security": [],
        "parameters": [{"name": "Origin", "in": "header", "required": false, "schema": {"type": "string"}}],
        "responses": {
          "204": {
            "description": "Preflight answer; CORS headers only when the origin is allowed.",
            "headers": {
              "Access-Control-Allow-Origin": {"schema": {"type": "string"}},
              "Access-Control-Allow-Methods": {"schema": {"type": "string"}},
              "Access-Control-Allow-Headers": {"schema": {"type": "string"}},
              "Access-Control-Max-Age": {"schema": {"type": "integer"}}
            }
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "instanceAdminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The instance admin token (`GATEHOUSE_ADMIN_TOKEN`, or generated into `<data>/admin-token` on first start): every operation on every tenant."
      },
      "tenantAdminToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A tenant-scoped admin token: an RFC 9068 access token that a confidential client of the tenant obtains with the client credentials grant at the tenant's token endpoint (`{issuer}/token`), asking for admin scopes the client's `allowed_scopes` include: `tenant:read`, `tenant:write`, `clients:read`, `clients:write`, `users:read`, `users:write`, `sessions:read`, `sessions:write`, `keys:read`, `keys:write`. It works only on its own tenant's paths (others are 404) and only for operations whose `x-required-scope` it holds (otherwise 403); instance-only operations (`x-instance-only`) answer 404. The scopes listed in each operation's security requirement are the ones needed."
      },
      "publishableKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Client-Id",
        "description": "Headless API: the publishable key (`client_id`, `pk_…`) of a public first-party client; selects the tenant. A confidential client must authenticate with its secret key instead."
      },
      "secretKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "sk_<environment>_…",
        "description": "Headless API, server calls: `Authorization: Bearer sk_…`, the secret key of a confidential first-party client; selects the tenant and client. `X-Client-Id`, if also sent, must name the same client."
      },
      "userAccessToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Headless API: an access token issued to the same client (e.g. by sign-in), sent with `X-Client-Id`."
      }
    },
    "parameters": {
      "Limit": {
        "name": "limit",
        "in": "query",
        "required": false,
        "description": "Items per page, 1–1000; default 100.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
      },
      "After": {
        "name": "after",
        "in": "query",
        "required": false,
        "description": "The `next_cursor` of the previous page (opaque); leave out for the first page. A value that is not a cursor of this list is 422.",
        "schema": {"type": "string", "minLength": 1}
      },
      "TemplateKind": {
        "name": "kind",
        "in": "path",
        "required": true,
        "description": "`page` or `email`: the first half of the template name.",
        "schema": {"type": "string", "enum": ["page", "email"]}
      },
      "TemplateName": {
        "name": "name",
        "in": "path",
        "required": true,
        "description": "The second half of the template name (`login`, `_head`, `verify`, …); names without a default template are 404.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}
      },
      "Slug": {
        "name": "slug",
        "in": "path",
        "required": true,
        "description": "Tenant slug.",
        "schema": {
          "type": "string",
          "minLength": 2,
          "maxLength": 63,
          "pattern": "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$",
          "description": "2–63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`; the last path segment of the issuer."
        }
      },
      "ClientId": {
        "name": "client_id",
        "in": "path",
        "required": true,
        "description": "The client's publishable key (`pk_…`).",
        "schema": {"type": "string"}
      },
      "UserId": {
        "name": "user_id",
        "in": "path",
        "required": true,
        "description": "User id (`usr_…`); anything else is 404.",
        "schema": {"type": "string", "pattern": "^usr_[0-9A-HJKMNP-TV-Z]{26}$"}
      },
      "ProviderKey": {"name": "provider", "in": "path", "required": true, "description": "The provider's id (`idp_…`) or slug.", "schema": {"type": "string", "maxLength": 64}},
      "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "required": false,
        "description": "Entity tags (RFC 9110 §13.1.1): the write happens only if one of them is the resource's current `ETag` (as answered by its GET), or `*` for any existing resource; otherwise 412 and nothing changes.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 1024, "pattern": "^(\\*|(W/)?\"[!#-~]*\"( *, *(W/)?\"[!#-~]*\")*)$"}
      },
      "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "A unique key per intended request (draft-ietf-httpapi-idempotency-key-header). A retry with the same key and body within 24 hours gets the first answer again, with `Idempotent-Replayed: true`; the same key with another body is 422; a retry while the first request runs is 409.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
      },
      "SessionId": {
        "name": "session_id",
        "in": "path",
        "required": true,
        "description": "Session id (`ses_…`); anything else is 404.",
        "schema": {"type": "string", "pattern": "^ses_[0-9A-HJKMNP-TV-Z]{26}$"}
      }
    },
    "responses": {
      "BadRequest": {
        "description": "The body is not a JSON object or is too large, or the request is not possible (e.g. rotating the secret of a public client).",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "Unauthorized": {
        "description": "No valid admin bearer token.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {"WWW-Authenticate": {"description": "The authentication challenge.", "schema": {"type": "string"}}}
      },
      "Forbidden": {
        "description": "The tenant-scoped token lacks the operation's scope (`x-required-scope`).",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "NotFound": {
        "description": "No such tenant or resource; also what a tenant-scoped token gets for another tenant and for instance-only operations.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "PreconditionFailed": {
        "description": "`If-Match` names no current entity tag of the resource (RFC 9110 §13.1.1); nothing changed.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "IdempotencyConflict": {
        "description": "Taken (the slug, email address or key already exists), or a request with this `Idempotency-Key` is still being processed.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "Conflict": {
        "description": "Taken: the slug, the email address or the key already exists.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "UnsupportedMediaType": {
        "description": "The body is not `application/json` (or `application/merge-patch+json`).",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "ValidationFailed": {
        "description": "Invalid fields, listed in `errors` (required, unknown, wrong type or invalid value).",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "Unavailable": {
        "description": "Storage unavailable, or the server is busy hashing passwords.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
      },
      "ContentTooLarge": {
        "description": "The body is larger than `[server] max_body_bytes` (answered at once when `Content-Length` says so); the connection is closed.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "TooManyRequests": {
        "description": "Rate limited; retry after `Retry-After` seconds.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
      },
      "InternalError": {
        "description": "Unexpected failure; `detail` carries the request id.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "OAuthBadRequest": {
        "description": "`invalid_request` (malformed body, missing or unknown fields, X-Client-Id not matching the secret key), `invalid_grant`, `invalid_scope` or `unauthorized_client` (not a first-party client, or a grant type the client may not use).",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}
      },
      "OAuthUnauthorized": {
        "description": "`invalid_client` (unknown client, missing or wrong secret key of a confidential client) or `invalid_token` (missing, invalid, expired or revoked access token, or one issued to another client).",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}},
        "headers": {"WWW-Authenticate": {"description": "The authentication challenge.", "schema": {"type": "string"}}}
      },
      "OAuthServerError": {"description": "`server_error`.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}},
      "OAuthContentTooLarge": {
        "description": "`invalid_request` with status 413: the body is larger than `[server] max_body_bytes`; the connection is closed.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}
      },
      "OAuthUnavailable": {
        "description": "`temporarily_unavailable`: the server is busy hashing passwords.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}},
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
      },
      "OAuthTooManyRequests": {
        "description": "`temporarily_unavailable` with status 429: too many failed sign-ins for this account (and IP), or too many sign-up, reset or email-code requests from this IP.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}},
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
      }
    },
    "schemas": {
      "TenantExport": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "passphrase"
        ],
        "properties": {
          "passphrase": {
            "type": "string",
            "minLength": 12,
            "maxLength": 1024,
            "description": "12–1024 characters; keep it apart from the file.",
            "examples": ["correct horse battery staple"]
          }
        }
      },
      "TenantClone": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "to"
        ],
        "properties": {
          "to": {
            "type": "string",
            "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
            "description": "Slug of the new tenant.",
            "examples": ["acme-staging"]
          },
          "scrub_pii": {
            "type": "boolean",
            "default": false,
            "description": "Replace emails and names; drop passwords, second factors and upstream identities.",
            "examples": [true]
          }
        }
      },
      "ClientKeyChange": {
        "type": "object",
        "required": [
          "name",
          "previous_client_id",
          "client_id",
          "client_secret"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "previous_client_id": {
            "type": "string",
            "description": "The publishable key in the source."
          },
          "client_id": {
            "type": "string",
            "description": "The new publishable key."
          },
          "client_secret": {
            "type": [
              "string",
              "null"
            ],
            "description": "The new secret key of a confidential client (shown once); null for public clients."
          }
        }
      },
      "TenantCopy": {
        "type": "object",
        "required": [
          "tenant",
          "users",
          "client_key_changes",
          "dropped_hostname"
        ],
        "properties": {
          "tenant": {
            "$ref": "#/components/schemas/Tenant"
          },
          "users": {
            "type": "integer",
            "minimum": 0
          },
          "client_key_changes": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ClientKeyChange"
            }
          },
          "dropped_hostname": {
            "type": [
              "string",
              "null"
            ],
            "description": "The source's own host when the copy is not served there (always for a clone; for an import when another tenant has it)."
          }
        }
      },
      "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
          "type": {
            "type": "string",
            "format": "uri",
            "enum": [
              "urn:gatehouse:problem:bad-request",
              "urn:gatehouse:problem:unauthorized",
              "urn:gatehouse:problem:forbidden",
              "urn:gatehouse:problem:not-found",
              "urn:gatehouse:problem:conflict",
              "urn:gatehouse:problem:unsupported-media-type",
              "urn:gatehouse:problem:validation",
              "urn:gatehouse:problem:internal",
              "urn:gatehouse:problem:unavailable",
              "urn:gatehouse:problem:rate-limited",
              "urn:gatehouse:problem:content-too-large",
              "urn:gatehouse:problem:request-timeout",
              "urn:gatehouse:problem:precondition-failed",
              "urn:gatehouse:problem:idempotency-key-reused"
            ]
          },
          "title": {"type": "string"},
          "status": {"type": "integer", "description": "The HTTP status code."},
          "detail": {"type": "string", "description": "Human-readable explanation; for validation problems every field error joined by `; `."},
          "errors": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/FieldError"},
            "description": "Validation problems only (422): every invalid field at once."
          }
        }
      },
      "FieldError": {
        "type": "object",
        "required": ["field", "message"],
        "properties": {
          "field": {"type": "string", "description": "The field, as a path: `email`, `settings.session_ttl`, `redirect_uris[0]`, `user_id` (query)."},
          "message": {"type": "string", "description": "e.g. `is required`, `is not a known field`, `must be an integer`."}
        }
      },
      "OAuthError": {
        "type": "object",
        "description": "RFC 6749 §5.2 error.",
        "required": ["error", "error_description"],
        "properties": {
          "error": {
            "type": "string",
            "description": "`invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`, `invalid_scope`, `invalid_token`, `server_error` or `temporarily_unavailable`.",
            "examples": ["invalid_grant"]
          },
          "error_description": {"type": "string"}
        }
      },
      "TenantSettings": {
        "type": "object",
        "description": "Per-tenant settings. Every lifetime is in seconds.",
        "required": [
          "mfa_policy",
          "access_token_ttl",
          "id_token_ttl",
          "refresh_token_ttl",
          "session_ttl",
          "authorization_code_ttl",
          "allowed_origins",
          "signing_algorithms",
          "oauth_providers",
          "email_templates",
          "webhooks",
          "custom_claims"
        ],
        "properties": {
          "mfa_policy": {
            "type": "string",
            "enum": ["none", "optional", "required"],
            "default": "none",
            "description": "How multi-factor authentication applies to sign-ins."
          },
          "access_token_ttl": {
            "type": "integer",
            "minimum": 1,
            "maximum": 86400,
            "description": "Access token lifetime in seconds. 1–86400; default 900.",
            "default": 900
          },
          "id_token_ttl": {
            "type": "integer",
            "minimum": 1,
            "maximum": 86400,
            "description": "ID token lifetime in seconds. 1–86400; default 3600.",
            "default": 3600
          },
          "refresh_token_ttl": {
            "type": "integer",
            "minimum": 60,
            "maximum": 31536000,
            "description": "Refresh token lifetime in seconds; sliding (each rotation starts a new period). 60–31536000; default 2592000.",
            "default": 2592000
          },
          "session_ttl": {
            "type": "integer",
            "minimum": 60,
            "maximum": 31536000,
            "description": "Browser and headless sign-in session lifetime in seconds. 60–31536000; default 1209600.",
            "default": 1209600
          },
          "authorization_code_ttl": {
            "type": "integer",
            "minimum": 10,
            "maximum": 600,
            "description": "Authorization code lifetime in seconds. 10–600; default 60.",
            "default": 60
          },
          "allowed_origins": {
            "type": "array",
            "items": {
              "type": "string",
              "format": "uri",
              "description": "An origin: `http` or `https`, a host, an optional port; no path, query or fragment."
            },
            "default": [],
            "description": "Origins allowed to call the tenant's CORS-enabled endpoints (discovery, JWKS, token, userinfo, revocation, introspection, headless API)."
          },
          "signing_algorithms": {
            "type": "array",
            "items": {"type": "string", "enum": ["EdDSA", "ES256", "RS256"]},
            "minItems": 1,
            "uniqueItems": true,
            "default": ["EdDSA"],
            "description": "JWS algorithms the tenant keeps signing keys for; clients choose among them."
          },
          "oauth_providers": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/UpstreamProvider"},
            "description": "Upstream login providers (read-only here)."
          },
          "email_templates": {"type": "array", "items": {"type": "string"}, "description": "Names of email templates the tenant overrides (read-only here)."},
          "hostname": {"type": ["string", "null"], "description": "The host the tenant is served on, when it has its own (see TenantSettingsInput); absent when served under `/t/{slug}` or `{slug}.{tenant_base_domain}`."},
          "webhooks": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookEndpoint"}},
          "custom_claims": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "propertyNames": {"minLength": 1, "not": {"enum": ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "client_id", "sid", "tid", "auth_time", "amr", "acr", "azp", "nonce", "at_hash", "c_hash", "org_id", "org_role"]}},
            "description": "Extra claims added to tokens, by claim name, as strings. Registered claims (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, `scope`, `client_id`, `sid`, `tid`, `auth_time`, `amr`, `acr`, `azp`, `nonce`, `at_hash`, `c_hash`, `org_id`, `org_role`) cannot be overridden."
          }
        }
      },
      "TenantSettingsInput": {
        "type": "object",
        "additionalProperties": false,
        "description": "Settings to set; fields not given keep their current value (their default on create). Every lifetime is in seconds. `null` puts a field back to its default (JSON merge patch, RFC 7396); for `hostname` that means no own host. `oauth_providers` and `email_templates` cannot be set here.",
        "properties": {
          "mfa_policy": {"type": ["string", "null"], "enum": ["none", "optional", "required", null], "examples": ["required"]},
          "access_token_ttl": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": 86400,
            "description": "Access token lifetime in seconds. 1–86400; default 900.",
            "default": 900,
            "examples": [900]
          },
          "id_token_ttl": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": 86400,
            "description": "ID token lifetime in seconds. 1–86400; default 3600.",
            "default": 3600,
            "examples": [3600]
          },
          "refresh_token_ttl": {
            "type": ["integer", "null"],
            "minimum": 60,
            "maximum": 31536000,
            "description": "Refresh token lifetime in seconds; sliding (each rotation starts a new period). 60–31536000; default 2592000.",
            "default": 2592000,
            "examples": [2592000]
          },
          "session_ttl": {
            "type": ["integer", "null"],
            "minimum": 60,
            "maximum": 31536000,
            "description": "Browser and headless sign-in session lifetime in seconds. 60–31536000; default 1209600.",
            "default": 1209600,
            "examples": [1209600]
          },
          "authorization_code_ttl": {
            "type": ["integer", "null"],
            "minimum": 10,
            "maximum": 600,
            "description": "Authorization code lifetime in seconds. 10–600; default 60.",
            "default": 60,
            "examples": [60]
          },
          "allowed_origins": {
            "type": ["array", "null"],
            "items": {
              "type": "string",
              "format": "uri",
              "description": "An origin: `http` or `https`, a host, an optional port; no path, query or fragment."
            },
            "maxItems": 100,
            "examples": [["https://app.acme.com"]],
            "description": "Replaces the list of CORS origins."
          },
          "signing_algorithms": {
            "type": ["array", "null"],
            "items": {"type": "string", "enum": ["EdDSA", "ES256", "RS256"]},
            "minItems": 1,
            "maxItems": 100,
            "uniqueItems": true,
            "examples": [["EdDSA", "RS256"]],
            "description": "Replaces the list. Enabling an algorithm creates a key for it at once; removing one that a client still uses (`id_token_signed_response_alg` or `access_token_signing_alg`) is refused with 422."
          },
          "hostname": {
            "type": ["string", "null"],
            "maxLength": 253,
            "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$",
            "examples": ["login.acme.com"],
            "description": "The host the tenant is served on (a custom domain; lowercase, no port). Its issuer becomes `{scheme}://{hostname}[:{port}]` (scheme and port of the public URL), its pages, cookies, discovery and email links move to that origin, and `/t/{slug}` stops answering. `null` returns it to `/t/{slug}` (or to `{slug}.{tenant_base_domain}` when the instance sets a base domain). Refused (422): the instance's own host or a name under `tenant_base_domain`; 409 when another tenant uses it."
          },
          "webhooks": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/WebhookEndpoint"}, "description": "Replaces the list."},
          "custom_claims": {
            "type": ["object", "null"],
            "additionalProperties": {"type": "string"},
            "propertyNames": {"minLength": 1, "not": {"enum": ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "client_id", "sid", "tid", "auth_time", "amr", "acr", "azp", "nonce", "at_hash", "c_hash", "org_id", "org_role"]}},
            "description": "Extra claims added to tokens, by claim name, as strings. Registered claims (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, `scope`, `client_id`, `sid`, `tid`, `auth_time`, `amr`, `acr`, `azp`, `nonce`, `at_hash`, `c_hash`, `org_id`, `org_role`) cannot be overridden. Replaces the map."
          }
        }
      },
      "WebhookEndpoint": {
        "type": "object",
        "description": "A webhook endpoint (stored; delivery arrives with the webhooks feature).",
        "required": ["url", "events", "enabled"],
        "properties": {
          "url": {"type": "string", "format": "uri", "description": "Must be an `https` URL."},
          "events": {"type": "array", "items": {"type": "string"}, "description": "Event names, e.g. `user.created`."},
          "enabled": {"type": "boolean"}
        }
      },
      "ClaimMapping": {
        "type": "object",
        "additionalProperties": false,
        "description": "Which user-info fields hold the identity (kind `oauth2`): member names or dotted paths (`data.id`).",
        "properties": {
          "subject": {
            "type": "string",
            "default": "sub",
            "description": "The stable user id; numbers are used as decimal text."
          },
          "email": {
            "type": "string",
            "default": "email"
          },
          "email_verified": {
            "type": "string",
            "default": "email_verified",
            "description": "`true` or `\"true\"` means verified; absent means not verified."
          },
          "name": {
            "type": "string",
            "default": "name"
          }
        }
      },
      "ProviderCreate": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "kind",
          "name",
          "client_id"
        ],
        "description": "A new provider. `discovery_url` is required for kind `oidc`; `authorization_url`, `token_url` and `userinfo_url` for kind `oauth2`.",
        "properties": {
          "kind": {
            "type": "string",
            "enum": [
              "oidc",
              "oauth2",
              "github",
              "google",
              "microsoft"
            ],
            "examples": [
              "oidc"
            ]
          },
          "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "Shown on the login button (\"Continue with {name}\").",
            "examples": [
              "Acme SSO"
            ]
          },
          "slug": {
            "type": "string",
            "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
            "description": "The provider's name in URLs (`/t/{slug}/federation/{provider}/…`) and in `idp_hint`; default: made from the name, unique in the tenant. Changing it changes the redirect URI."
          },
          "enabled": {
            "type": "boolean",
            "default": true,
            "description": "Whether the button is shown and sign-in works.",
            "examples": [
              true
            ]
          },
          "client_id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1000,
            "description": "Our client id at the provider.",
            "examples": [
              "gatehouse"
            ]
          },
          "client_secret": {
            "type": "string",
            "maxLength": 4096,
            "description": "Our client secret at the provider; encrypted at rest, never shown. Without one, the code is redeemed as a public client (PKCE only).",
            "examples": [
              "s3cret-from-the-provider"
            ]
          },
          "discovery_url": {
            "type": "string",
            "format": "uri",
            "maxLength": 2048,
            "description": "OIDC discovery document (kind `oidc`; optional override for `google` and `microsoft`). Its issuer must match the URL (OIDC Discovery §4.3).",
            "examples": [
              "https://sso.acme.example/.well-known/openid-configuration"
            ]
          },
          "issuer": {
            "type": "string",
            "maxLength": 2048,
            "description": "Kinds `oauth2` and `github`: the issuer identities are keyed by (default: the authorization URL's origin; `https://github.com` for GitHub)."
          },
          "authorization_url": {
            "type": "string",
            "format": "uri",
            "maxLength": 2048,
            "description": "Authorization endpoint (kind `oauth2`; optional override for `github`)."
          },
          "token_url": {
            "type": "string",
            "format": "uri",
            "maxLength": 2048,
            "description": "Token endpoint (kind `oauth2`; optional override for `github`)."
          },
          "userinfo_url": {
            "type": "string",
            "format": "uri",
            "maxLength": 2048,
            "description": "User-info endpoint (kind `oauth2`; optional override for `github`, whose emails API is `{userinfo_url}/emails`)."
          },
          "scopes": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "maxItems": 50,
            "description": "Scopes requested; empty means the kind's default (`openid email profile` for OIDC kinds, `read:user user:email` for GitHub).",
            "examples": [
              [
                "openid",
                "email",
                "profile"
              ]
            ]
          },
          "claim_mapping": {
            "$ref": "#/components/schemas/ClaimMapping"
          },
          "microsoft_tenant": {
            "type": "string",
            "maxLength": 128,
            "description": "Kind `microsoft`: `common` (default), `organizations`, `consumers`, a directory id or a domain. With the multi-tenant ones, the token's issuer template `{tenantid}` is matched against its `tid`."
          },
          "trust_upstream_mfa": {
            "type": "boolean",
            "default": false,
            "description": "Whether an upstream `amr` that shows multi-factor authentication counts as MFA for the tenant's MFA policy.",
            "examples": [
              false
            ]
          },
          "allow_signup": {
            "type": "boolean",
            "default": true,
            "description": "Whether a first sign-in with an unknown identity may create a user (otherwise only linked or linkable users can sign in)."
          }
        },
        "allOf": [
          {
            "if": {
              "properties": {
                "kind": {
                  "const": "oidc"
                }
              },
              "required": [
                "kind"
              ]
            },
            "then": {
              "required": [
                "discovery_url"
              ]
            }
          },
          {
            "if": {
              "properties": {
                "kind": {
                  "const": "oauth2"
                }
              },
              "required": [
                "kind"
              ]
            },
            "then": {
              "required": [
                "authorization_url",
                "token_url",
                "userinfo_url"
              ]
            }
          }
        ]
      },
      "ProviderUpdate": {
        "type": "object",
        "additionalProperties": false,
        "description": "Fields to change; the kind cannot change. An empty string removes an optional string.",
        "properties": {
          "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "Shown on the login button (\"Continue with {name}\")."
          },
          "slug": {
            "type": "string",
            "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
            "description": "The provider's name in URLs (`/t/{slug}/federation/{provider}/…`) and in `idp_hint`; default: made from the name, unique in the tenant. Changing it changes the redirect URI."
          },
          "enabled": {
            "type": "boolean",
            "default": true,
            "description": "Whether the button is shown and sign-in works."
          },
          "client_id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1000,
            "description": "Our client id at the provider."
          },
          "client_secret": {
            "type": "string",
            "maxLength": 4096,
            "description": "Our client secret at the provider; encrypted at rest, never shown. Without one, the code is redeemed as a public client (PKCE only)."
          },
          "discovery_url": {
            "type": "string",
            "format": "uri",
            "maxLength": 2048,
            "description": "OIDC discovery document (kind `oidc`; optional override for `google` and `microsoft`). Its issuer must match the URL (OIDC Discovery §4.3)."
          },
          "issuer": {
            "type": "string",
            "maxLength": 2048,
            "description": "Kinds `oauth2` and `github`: the issuer identities are keyed by (default: the authorization URL's origin; `https://github.com` for GitHub)."
          },
          "authorization_url": {
            "type": "string",
            "format": "uri",
            "maxLength": 2048,
            "description": "Authorization endpoint (kind `oauth2`; optional override for `github`)."
          },
          "token_url": {
            "type": "string",
            "format": "uri",
            "maxLength": 2048,
            "description": "Token endpoint (kind `oauth2`; optional override for `github`)."
          },
          "userinfo_url": {
            "type": "string",
            "format": "uri",
            "maxLength": 2048,
            "description": "User-info endpoint (kind `oauth2`; optional override for `github`, whose emails API is `{userinfo_url}/emails`)."
          },
          "scopes": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "maxItems": 50,
            "description": "Scopes requested; empty means the kind's default (`openid email profile` for OIDC kinds, `read:user user:email` for GitHub)."
          },
          "claim_mapping": {
            "$ref": "#/components/schemas/ClaimMapping"
          },
          "microsoft_tenant": {
            "type": "string",
            "maxLength": 128,
            "description": "Kind `microsoft`: `common` (default), `organizations`, `consumers`, a directory id or a domain. With the multi-tenant ones, the token's issuer template `{tenantid}` is matched against its `tid`."
          },
          "trust_upstream_mfa": {
            "type": "boolean",
            "default": false,
            "description": "Whether an upstream `amr` that shows multi-factor authentication counts as MFA for the tenant's MFA policy."
          },
          "allow_signup": {
            "type": "boolean",
            "default": true,
            "description": "Whether a first sign-in with an unknown identity may create a user (otherwise only linked or linkable users can sign in)."
          }
        }
      },
      "Provider": {
        "type": "object",
        "required": [
          "id",
          "slug",
          "kind",
          "name",
          "enabled",
          "client_id",
          "client_secret_set",
          "scopes",
          "claim_mapping",
          "trust_upstream_mfa",
          "allow_signup",
          "redirect_uri",
          "created_at",
          "updated_at"
        ],
        "properties": {
          "id": {
            "type": "string",
            "pattern": "^idp_[0-9A-HJKMNP-TV-Z]{26}$"
          },
          "slug": {
            "type": "string"
          },
          "kind": {
            "type": "string",
            "enum": [
              "oidc",
              "oauth2",
              "github",
              "google",
              "microsoft"
            ]
          },
          "name": {
            "type": "string"
          },
          "enabled": {
            "type": "boolean"
          },
          "client_id": {
            "type": "string"
          },
          "client_secret_set": {
            "type": "boolean",
            "description": "Whether a client secret is stored (it is never shown)."
          },
          "discovery_url": {
            "type": "string",
            "description": "OIDC kinds: the discovery URL in effect."
          },
          "microsoft_tenant": {
            "type": "string"
          },
          "issuer": {
            "type": "string",
            "description": "OAuth 2.0 kinds: the issuer identities are keyed by."
          },
          "authorization_url": {
            "type": "string"
          },
          "token_url": {
            "type": "string"
          },
          "userinfo_url": {
            "type": "string"
          },
          "scopes": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "The scopes in effect."
          },
          "claim_mapping": {
            "$ref": "#/components/schemas/ClaimMapping"
          },
          "trust_upstream_mfa": {
            "type": "boolean"
          },
          "allow_signup": {
            "type": "boolean"
          },
          "redirect_uri": {
            "type": "string",
            "description": "Register this at the provider: `{issuer}/federation/{slug}/callback`."
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "updated_at": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "ProviderList": {
        "type": "object",
        "required": [
          "providers"
        ],
        "properties": {
          "providers": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Provider"
            }
          }
        }
      },
      "UpstreamProvider": {
        "type": "object",
        "description": "A summary of an upstream login provider of the tenant (read-only here; managed under `/tenants/{slug}/providers`).",
        "required": ["id", "kind", "enabled"],
        "properties": {
          "id": {"type": "string", "description": "The provider's id (`idp_…`)."},
          "kind": {"type": "string", "description": "`oidc`, `oauth2`, `github`, `google` or `microsoft`."},
          "enabled": {"type": "boolean"},
          "slug": {"type": "string", "description": "The provider's name in URLs and `idp_hint`."},
          "name": {"type": "string", "description": "The login button's label."}
        }
      },
      "Tenant": {
        "type": "object",
        "required": ["id", "slug", "name", "environment", "issuer", "settings", "created_at"],
        "properties": {
          "id": {"type": "string", "pattern": "^ten_[0-9A-HJKMNP-TV-Z]{26}$"},
          "slug": {
            "type": "string",
            "minLength": 2,
            "maxLength": 63,
            "pattern": "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$",
            "description": "2–63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`; the last path segment of the issuer."
          },
          "name": {"type": "string"},
          "environment": {"type": "string", "enum": ["live", "test", "dev"]},
          "issuer": {"type": "string", "format": "uri", "description": "`{public_url}/t/{slug}`, or `{scheme}://{host}[:{port}]` for a tenant on its own host (`settings.hostname` or `{slug}.{tenant_base_domain}`), exactly as in discovery and every `iss` claim."},
          "settings": {"$ref": "#/components/schemas/TenantSettings"},
          "created_at": {"type": "string", "format": "date-time", "description": "RFC 3339 timestamp, UTC, whole seconds."}
        }
      },
      "TenantList": {
        "type": "object",
        "required": ["tenants", "next_cursor"],
        "properties": {"tenants": {"type": "array", "items": {"$ref": "#/components/schemas/Tenant"}}, "next_cursor": {"type": ["string", "null"], "description": "`after` for the next page; null on the last page."}}
      },
      "TenantCreate": {
        "type": "object",
        "additionalProperties": false,
        "required": ["slug", "name", "environment"],
        "properties": {
          "slug": {
            "type": "string",
            "minLength": 2,
            "maxLength": 63,
            "pattern": "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$",
            "description": "2–63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`; the last path segment of the issuer.",
            "examples": ["acme"]
          },
          "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Display name; not blank.", "examples": ["Acme Inc."]},
          "environment": {
            "type": "string",
            "enum": ["live", "test", "dev"],
            "description": "Part of every key the tenant issues (`pk_<environment>_…`, `sk_<environment>_…`). `dev` tenants may register `http` redirect URIs for any host.",
            "examples": ["test"]
          },
          "settings": {"$ref": "#/components/schemas/TenantSettingsInput"}
        }
      },
      "TenantUpdate": {
        "type": "object",
        "additionalProperties": false,
        "description": "Fields not given keep their value; `settings` fields are merged into the current settings.",
        "properties": {
          "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Display name; not blank."},
          "settings": {"$ref": "#/components/schemas/TenantSettingsInput"}
        }
      },
      "Client": {
        "type": "object",
        "required": [
          "client_id",
          "name",
          "type",
          "redirect_uris",
          "post_logout_redirect_uris",
          "grant_types",
          "first_party",
          "token_endpoint_auth_method",
          "id_token_signed_response_alg",
          "access_token_signing_alg",
          "created_at"
        ],
        "properties": {
          "client_id": {"type": "string", "pattern": "^pk_(live|test|dev)_[0-9A-Za-z]+$", "description": "The publishable key."},
          "client_secret": {
            "type": "string",
            "pattern": "^sk_(live|test|dev)_[0-9A-Za-z]+$",
            "description": "The secret key of a confidential client: only in the response that created it (create, rotate-secret); stored only as a hash."
          },
          "previous_secret_expires_at": {
            "type": "string",
            "format": "date-time",
            "description": "Until when the secret key replaced by the last rotation stays valid; absent when there is none."
          },
          "name": {"type": "string"},
          "type": {"type": "string", "enum": ["public", "confidential"]},
          "redirect_uris": {"type": "array", "items": {"type": "string"}},
          "post_logout_redirect_uris": {"type": "array", "items": {"type": "string"}},
          "grant_types": {
            "type": "array",
            "items": {"type": "string", "enum": ["authorization_code", "refresh_token", "client_credentials"]},
            "description": "Sorted."
          },
          "first_party": {"type": "boolean", "description": "First-party clients skip the consent page and may use the headless auth API."},
          "allowed_scopes": {
            "type": "string",
            "description": "Space-separated scopes the client may request; absent means the standard scopes `openid profile email offline_access`."
          },
          "token_endpoint_auth_method": {
            "type": "string",
            "enum": ["none", "client_secret_basic"],
            "description": "`none` for public clients; confidential clients may also use `client_secret_post`."
          },
          "id_token_signed_response_alg": {"type": "string", "enum": ["EdDSA", "ES256", "RS256"]},
          "access_token_signing_alg": {"type": "string", "enum": ["EdDSA", "ES256", "RS256"]},
          "created_at": {"type": "string", "format": "date-time", "description": "RFC 3339 timestamp, UTC, whole seconds."}
        }
      },
      "ClientWithSecret": {"allOf": [{"$ref": "#/components/schemas/Client"}, {"type": "object", "required": ["client_secret"]}]},
      "ClientList": {
        "type": "object",
        "required": ["clients", "next_cursor"],
        "properties": {"clients": {"type": "array", "items": {"$ref": "#/components/schemas/Client"}}, "next_cursor": {"type": ["string", "null"], "description": "`after` for the next page; null on the last page."}}
      },
      "ClientCreate": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Display name; not blank.", "examples": ["Acme web"]},
          "type": {
            "type": "string",
            "enum": ["public", "confidential"],
            "description": "`confidential` clients get a secret key (returned once); cannot be changed later.",
            "examples": ["public"]
          },
          "redirect_uris": {
            "type": "array",
            "items": {
              "type": "string",
              "maxLength": 2000,
              "description": "An absolute URI without fragment or wildcard: `https`, `http` only for loopback hosts (any host in `dev` tenants), or a private-use scheme in reverse domain form (e.g. `com.example.app:/cb`)."
            },
            "maxItems": 100,
            "examples": [["https://app.acme.com/callback"]],
            "description": "Exact-match redirect URIs; at least one when the client uses `authorization_code`."
          },
          "post_logout_redirect_uris": {
            "type": "array",
            "items": {
              "type": "string",
              "maxLength": 2000,
              "description": "An absolute URI without fragment or wildcard: `https`, `http` only for loopback hosts (any host in `dev` tenants), or a private-use scheme in reverse domain form (e.g. `com.example.app:/cb`)."
            },
            "maxItems": 100,
            "description": "RP-initiated logout targets."
          },
          "grant_types": {
            "type": "array",
            "items": {"type": "string", "enum": ["authorization_code", "refresh_token", "client_credentials"]},
            "maxItems": 100,
            "description": "Default `[\"authorization_code\", \"refresh_token\"]`. Public clients cannot use `client_credentials`."
          },
          "first_party": {"type": "boolean", "description": "No consent page; may use the headless auth API. Default false."},
          "allowed_scopes": {
            "type": "string",
            "maxLength": 2000,
            "description": "Space-separated scopes the client may request (default: `openid profile email offline_access`). Admin scopes (`tenant:read` … `keys:write`) let a confidential client obtain tenant-scoped admin tokens with the client credentials grant."
          },
          "id_token_signed_response_alg": {
            "type": "string",
            "enum": ["EdDSA", "ES256", "RS256"],
            "description": "One of the tenant's `signing_algorithms`; default `EdDSA`."
          },
          "access_token_signing_alg": {
            "type": "string",
            "enum": ["EdDSA", "ES256", "RS256"],
            "description": "One of the tenant's `signing_algorithms`; default `EdDSA`."
          }
        },
        "required": ["name", "type"],
        "description": "`redirect_uris` (at least one) is also required when `grant_types` is absent or contains `authorization_code`.",
        "if": {
          "anyOf": [
            {"not": {"required": ["grant_types"]}},
            {"required": ["grant_types"], "properties": {"grant_types": {"contains": {"const": "authorization_code"}}}}
          ]
        },
        "then": {"required": ["redirect_uris"], "properties": {"redirect_uris": {"minItems": 1}}}
      },
      "ClientUpdate": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Display name; not blank.", "examples": ["Acme web"]},
          "redirect_uris": {
            "type": "array",
            "items": {
              "type": "string",
              "maxLength": 2000,
              "description": "An absolute URI without fragment or wildcard: `https`, `http` only for loopback hosts (any host in `dev` tenants), or a private-use scheme in reverse domain form (e.g. `com.example.app:/cb`)."
            },
            "maxItems": 100,
            "examples": [["https://app.acme.com/callback"]],
            "description": "Exact-match redirect URIs (replaces the list); at least one when the client uses `authorization_code`."
          },
          "post_logout_redirect_uris": {
            "type": "array",
            "items": {
              "type": "string",
              "maxLength": 2000,
              "description": "An absolute URI without fragment or wildcard: `https`, `http` only for loopback hosts (any host in `dev` tenants), or a private-use scheme in reverse domain form (e.g. `com.example.app:/cb`)."
            },
            "maxItems": 100,
            "description": "RP-initiated logout targets (replaces the list)."
          },
          "grant_types": {
            "type": "array",
            "items": {"type": "string", "enum": ["authorization_code", "refresh_token", "client_credentials"]},
            "maxItems": 100,
            "description": "Replaces the list. Public clients cannot use `client_credentials`."
          },
          "first_party": {"type": "boolean", "description": "No consent page; may use the headless auth API."},
          "allowed_scopes": {
            "type": "string",
            "maxLength": 2000,
            "description": "Space-separated scopes the client may request (default: `openid profile email offline_access`). Admin scopes (`tenant:read` … `keys:write`) let a confidential client obtain tenant-scoped admin tokens with the client credentials grant."
          },
          "id_token_signed_response_alg": {
            "type": "string",
            "enum": ["EdDSA", "ES256", "RS256"],
            "description": "One of the tenant's `signing_algorithms`; default `EdDSA`."
          },
          "access_token_signing_alg": {
            "type": "string",
            "enum": ["EdDSA", "ES256", "RS256"],
            "description": "One of the tenant's `signing_algorithms`; default `EdDSA`."
          }
        },
        "description": "Fields not given keep their value; `null` is refused (422). The `type` cannot change (422). The result must still be valid: a client using `authorization_code` needs a redirect URI."
      },
      "SecretRotation": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "overlap_seconds": {
            "type": "integer",
            "minimum": 0,
            "maximum": 2592000,
            "default": 0,
            "description": "Seconds the old secret key stays valid (0–2592000, i.e. up to 30 days).",
            "examples": [3600]
          }
        }
      },
      "User": {
        "type": "object",
        "required": ["id", "email", "email_verified", "disabled", "created_at"],
        "properties": {
          "id": {"type": "string", "pattern": "^usr_[0-9A-HJKMNP-TV-Z]{26}$"},
          "email": {"type": "string", "format": "email", "description": "Normalized (lower-cased) address, unique in the tenant."},
          "email_verified": {"type": "boolean"},
          "name": {"type": "string", "description": "Absent when the user has no name."},
          "disabled": {"type": "boolean", "description": "Disabled users cannot sign in."},
          "created_at": {"type": "string", "format": "date-time", "description": "RFC 3339 timestamp, UTC, whole seconds."}
        }
      },
      "UserList": {"type": "object", "required": ["users", "next_cursor"], "properties": {"users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}, "next_cursor": {"type": ["string", "null"], "description": "`after` for the next page; null on the last page."}}},
      "UserCreate": {
        "type": "object",
        "additionalProperties": false,
        "required": ["email"],
        "properties": {
          "email": {
            "type": "string",
            "format": "email",
            "maxLength": 254,
            "description": "Unique in the tenant (409 otherwise).",
            "examples": ["ada@example.com"]
          },
          "password": {
            "type": "string",
            "minLength": 8,
            "maxLength": 256,
            "description": "Without a password the user cannot sign in with one. Hashed with Argon2id.",
            "examples": ["correct horse battery staple"]
          },
          "name": {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]*$", "description": "No control characters or bidirectional overrides.", "examples": ["Ada Lovelace"]},
          "email_verified": {"type": "boolean", "default": false, "examples": [true]}
        }
      },
      "UserUpdate": {
        "type": "object",
        "additionalProperties": false,
        "description": "Fields not given keep their value; `null` is refused (422), except for `name`, where it removes the name (JSON merge patch, RFC 7396). Changing `email` sets `email_verified` to false unless the same request sets it. Disabling a user or setting a password ends the user's sessions and revokes their grants.",
        "properties": {
          "email": {"type": "string", "format": "email", "maxLength": 254, "description": "Unique in the tenant (409 otherwise)."},
          "name": {"type": ["string", "null"], "maxLength": 200, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]*$", "description": "No control characters or bidirectional overrides."},
          "email_verified": {"type": "boolean"},
          "disabled": {"type": "boolean"},
          "password": {"type": "string", "minLength": 8, "maxLength": 256}
        }
      },
      "Session": {
        "type": "object",
        "required": ["id", "user_id", "auth_time", "amr", "created_at", "expires_at"],
        "properties": {
          "id": {"type": "string", "pattern": "^ses_[0-9A-HJKMNP-TV-Z]{26}$"},
          "user_id": {"type": "string", "pattern": "^usr_[0-9A-HJKMNP-TV-Z]{26}$"},
          "auth_time": {"type": "string", "format": "date-time", "description": "When the user authenticated."},
          "amr": {"type": "array", "items": {"type": "string"}, "description": "Authentication methods (RFC 8176), e.g. `pwd`."},
          "created_at": {"type": "string", "format": "date-time", "description": "RFC 3339 timestamp, UTC, whole seconds."},
          "expires_at": {"type": "string", "format": "date-time", "description": "RFC 3339 timestamp, UTC, whole seconds."},
          "user_agent": {"type": "string", "description": "First 256 characters of the User-Agent at sign-in; absent when unknown."},
          "ip_address": {"type": "string", "description": "Client address at sign-in; absent when unknown."}
        }
      },
      "SessionList": {
        "type": "object",
        "required": ["sessions", "next_cursor"],
        "properties": {"sessions": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}}, "next_cursor": {"type": ["string", "null"], "description": "`after` for the next page; null on the last page."}}
      },
      "SigningKey": {
        "type": "object",
        "description": "A signing key and its schedule (never private material).",
        "required": ["kid", "algorithm", "status", "created_at", "activates_at"],
        "properties": {
          "kid": {"type": "string", "description": "RFC 7638 JWK thumbprint; the `kid` in the JWKS and JWS headers."},
          "algorithm": {"type": "string", "enum": ["EdDSA", "ES256", "RS256"]},
          "status": {
            "type": "string",
            "enum": ["next", "active", "retired"],
            "description": "`next`: published in the JWKS, not yet signing; `active`: signing; `retired`: no longer signing, published until every token it signed has expired."
          },
          "created_at": {"type": "string", "format": "date-time", "description": "When the key was published."},
          "activates_at": {"type": "string", "format": "date-time", "description": "When the key starts (started) signing."},
          "retires_at": {"type": "string", "format": "date-time", "description": "When the key stops signing; absent while unscheduled."},
          "expires_at": {"type": "string", "format": "date-time", "description": "When the key leaves the JWKS; absent while unscheduled."}
        }
      },
      "SigningKeyList": {
        "type": "object",
        "required": ["keys"],
        "properties": {"keys": {"type": "array", "items": {"$ref": "#/components/schemas/SigningKey"}}}
      },
      "TemplateSummary": {
        "type": "object",
        "required": ["name", "kind", "overridden", "updated_at"],
        "properties": {
          "name": {"type": "string", "description": "`page/<name>` or `email/<name>`.", "examples": ["email/verify"]},
          "kind": {"type": "string", "enum": ["page", "email"]},
          "overridden": {"type": "boolean", "description": "Whether the tenant overrides the default."},
          "updated_at": {"type": ["string", "null"], "format": "date-time", "description": "When the override was stored; null for the default."}
        }
      },
      "TemplateList": {
        "type": "object",
        "required": ["templates"],
        "properties": {"templates": {"type": "array", "items": {"$ref": "#/components/schemas/TemplateSummary"}}}
      },
      "Template": {
        "type": "object",
        "required": ["name", "kind", "overridden", "updated_at"],
        "properties": {
          "name": {"type": "string", "description": "`page/<name>` or `email/<name>`."},
          "kind": {"type": "string", "enum": ["page", "email"]},
          "overridden": {"type": "boolean", "description": "Whether this is the tenant's override (else the default)."},
          "updated_at": {"type": ["string", "null"], "format": "date-time", "description": "When the override was stored; null for the default."},
          "body": {"type": "string", "description": "Pages: the Mustache template."},
          "subject": {"type": "string", "description": "Emails: the subject line template (rendered without HTML escaping, on one line)."},
          "text": {"type": "string", "description": "Emails: the plain-text part template (rendered without HTML escaping)."},
          "html": {"type": ["string", "null"], "description": "Emails: the HTML part template; null for a text-only email."}
        }
      },
      "TemplateUpdate": {
        "type": "object",
        "additionalProperties": false,
        "description": "Pages: `body`. Emails: `subject`, `text` and optionally `html`. Other fields for the kind are refused.",
        "properties": {
          "body": {"type": "string", "maxLength": 60000, "description": "Pages: the Mustache template.", "examples": ["{{> _head}}<h1>Sign in to {{tenant_name}}</h1>{{> _foot}}"]},
          "subject": {"type": "string", "maxLength": 60000, "description": "Emails: one line.", "examples": ["Confirm your email for {{tenant_name}}"]},
          "text": {"type": "string", "maxLength": 60000, "description": "Emails: the plain-text part.", "examples": ["Open {{link}} to confirm {{user_email}}."]},
          "html": {"type": "string", "maxLength": 60000, "description": "Emails: the HTML part (optional).", "examples": ["<p><a href=\"{{link}}\">Confirm {{user_email}}</a></p>"]}
        }
      },
      "TemplateTest": {
        "type": "object",
        "additionalProperties": false,
        "required": ["to"],
        "properties": {
          "to": {"type": "string", "maxLength": 254, "description": "Recipient: a plain ASCII `local@domain` address.", "examples": ["ops@example.com"]}
        }
      },
      "TemplateTestResult": {
        "type": "object",
        "required": ["id", "to", "template", "status"],
        "properties": {
          "id": {"type": "string", "description": "The message id (`msg_…`), also in its `Message-ID` header."},
          "to": {"type": "string"},
          "template": {"type": "string", "examples": ["email/verify"]},
          "status": {"type": "string", "enum": ["queued"]}
        }
      },
      "KeyRotation": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "algorithms": {
            "type": "array",
            "items": {"type": "string", "enum": ["EdDSA", "ES256", "RS256"]},
            "maxItems": 3,
            "uniqueItems": true,
            "description": "Algorithms to rotate, each at most once (a repeat is 422); each must be enabled for the tenant. Default: every enabled algorithm.",
            "examples": [["ES256"]]
          }
        }
      },
      "TokenResponse": {
        "type": "object",
        "description": "The token endpoint's response (RFC 6749 §5.1, OIDC Core §3.1.3.3).",
        "required": ["access_token", "token_type", "expires_in", "scope"],
        "properties": {
          "access_token": {"type": "string", "description": "RFC 9068 JWT access token (`typ: at+jwt`)."},
          "token_type": {"type": "string", "const": "Bearer"},
          "expires_in": {"type": "integer", "description": "Access token lifetime in seconds."},
          "refresh_token": {"type": "string", "description": "Opaque; rotates on every use. Absent when the client may not refresh."},
          "id_token": {"type": "string", "description": "OIDC ID token; present when the scope includes `openid`."},
          "scope": {"type": "string", "description": "Space-separated granted scopes."}
        }
      },
      "HeadlessSession": {
        "type": "object",
        "required": ["id", "user_id", "auth_time", "amr", "created_at", "expires_at"],
        "properties": {
          "id": {"type": "string", "pattern": "^ses_[0-9A-HJKMNP-TV-Z]{26}$"},
          "user_id": {"type": "string", "pattern": "^usr_[0-9A-HJKMNP-TV-Z]{26}$"},
          "auth_time": {"type": "string", "format": "date-time", "description": "When the user authenticated."},
          "amr": {"type": "array", "items": {"type": "string"}, "description": "Authentication methods (RFC 8176), e.g. `pwd`."},
          "created_at": {"type": "string", "format": "date-time", "description": "RFC 3339 timestamp, UTC, whole seconds."},
          "expires_at": {"type": "string", "format": "date-time", "description": "RFC 3339 timestamp, UTC, whole seconds."}
        }
      },
      "SignInRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": ["email", "password"],
        "properties": {
          "email": {"type": "string", "maxLength": 320, "examples": ["ada@example.com"]},
          "password": {"type": "string", "maxLength": 1024, "examples": ["correct horse battery staple"]},
          "scope": {
            "type": "string",
            "maxLength": 1000,
            "description": "Space-separated scopes; a subset of the client's scopes, never admin scopes. Default: the client's permitted scopes among `openid profile email`.",
            "examples": ["openid profile email offline_access"]
          }
        }
      },
      "SignInResponse": {
        "allOf": [
          {"$ref": "#/components/schemas/TokenResponse"},
          {
            "type": "object",
            "required": ["session", "user"],
            "properties": {
              "status": {"const": "signed_in"},
              "session": {"$ref": "#/components/schemas/HeadlessSession"},
              "user": {"$ref": "#/components/schemas/User"},
              "recovery_codes": {"type": "array", "items": {"type": "string"}, "description": "New recovery codes, shown once, after an MFA enrolment."}
            }
          }
        ]
      },
      "Challenge": {
        "type": "object",
        "required": ["status", "challenge_id", "expires_in"],
        "description": "The next step of a sign-in whose first factor passed.",
        "properties": {
          "status": {"enum": ["email_verification_required", "mfa_required", "mfa_enrollment_required"]},
          "challenge_id": {"type": "string", "description": "Short-lived id of the pending sign-in (bound to this client)."},
          "expires_in": {"type": "integer", "description": "seconds"},
          "factors": {"type": "array", "items": {"enum": ["totp", "email", "recovery_code"]}},
          "email": {"type": "string", "description": "The address a code was sent to (masked for MFA)."},
          "totp": {"type": "object", "required": ["secret", "otpauth_uri", "qr_data_url"], "properties": {
            "secret": {"type": "string", "description": "Base32 (RFC 4648) TOTP secret to enrol"},
            "otpauth_uri": {"type": "string"},
            "qr_data_url": {"type": "string", "description": "data:image/svg+xml;base64 QR code of otpauth_uri"}}}
        }
      },
      "SignUpRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": ["email", "password"],
        "properties": {"email": {"type": "string", "format": "email", "minLength": 3, "maxLength": 254, "description": "`local@domain`; anything else is `invalid_request`.", "examples": ["ada@example.com"]}, "password": {"type": "string", "minLength": 8, "maxLength": 256, "examples": ["correct horse battery"]}, "name": {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]*$", "description": "No control characters or bidirectional overrides.", "examples": ["Ada Lovelace"]}}
      },
      "VerifyEmailRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": ["challenge_id", "code"],
        "properties": {"challenge_id": {"type": "string", "examples": ["Q2hhbGxlbmdlSWQtZXhhbXBsZS0wMDAwMDAwMDAwMDA"]}, "code": {"type": "string", "maxLength": 16, "examples": ["123456"]}}
      },
      "MFAVerifyRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": ["challenge_id", "factor", "code"],
        "properties": {"challenge_id": {"type": "string", "examples": ["Q2hhbGxlbmdlSWQtZXhhbXBsZS0wMDAwMDAwMDAwMDA"]}, "factor": {"enum": ["totp", "email", "recovery_code"], "examples": ["totp"]}, "code": {"type": "string", "maxLength": 64, "examples": ["123456"]}}
      },
      "MFAEmailRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": ["challenge_id"],
        "properties": {"challenge_id": {"type": "string", "examples": ["Q2hhbGxlbmdlSWQtZXhhbXBsZS0wMDAwMDAwMDAwMDA"]}}
      },
      "RefreshRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": ["refresh_token"],
        "properties": {
          "refresh_token": {"type": "string", "maxLength": 512, "examples": ["x7Ttq…"]},
          "scope": {"type": "string", "maxLength": 1000, "description": "Optional narrower scope (RFC 6749 §6)."}
        }
      },
      "SignOutRequest": {
        "type": "object",
        "additionalProperties": false,
        "description": "`refresh_token` is required without a bearer access token (400 `invalid_request` otherwise); with one, the body may be empty.",
        "properties": {"refresh_token": {"type": "string", "maxLength": 512, "examples": ["x7Ttq…"]}}
      },
      "SessionResponse": {"type": "object", "required": ["session"], "properties": {"session": {"$ref": "#/components/schemas/HeadlessSession"}}}
    }
  }
}
"""#
}
