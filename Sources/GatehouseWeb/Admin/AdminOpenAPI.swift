/// The OpenAPI 3.1 document of the admin API, served at `/admin/v1/openapi.json`.
enum AdminOpenAPI {
    static let document = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Gatehouse admin API",
    "version": "1.0.0",
    "description": "Instance administration: tenants, clients and users. Authenticate with `Authorization: Bearer <admin token>`. Errors are RFC 9457 problem details."
  },
  "servers": [{"url": "/"}],
  "security": [{"adminToken": []}],
  "paths": {
    "/admin/v1/tenants": {
      "get": {"operationId": "listTenants", "summary": "List tenants", "responses": {"200": {"description": "Tenants", "content": {"application/json": {"schema": {"type": "object", "properties": {"tenants": {"type": "array", "items": {"$ref": "#/components/schemas/Tenant"}}}}}}}, "401": {"$ref": "#/components/responses/Problem"}}},
      "post": {"operationId": "createTenant", "summary": "Create a tenant", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TenantCreate"}}}}, "responses": {"201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
    },
    "/admin/v1/tenants/{slug}": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "get": {"operationId": "getTenant", "summary": "Show a tenant", "responses": {"200": {"description": "Tenant", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}}, "404": {"$ref": "#/components/responses/Problem"}}},
      "patch": {"operationId": "updateTenant", "summary": "Update a tenant's name and settings", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TenantUpdate"}}}}, "responses": {"200": {"description": "Tenant", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}}, "404": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}},
      "delete": {"operationId": "deleteTenant", "summary": "Delete a tenant and its data", "responses": {"204": {"description": "Deleted"}, "404": {"$ref": "#/components/responses/Problem"}}}
    },
    "/admin/v1/tenants/{slug}/clients": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "get": {"operationId": "listClients", "summary": "List clients", "responses": {"200": {"description": "Clients", "content": {"application/json": {"schema": {"type": "object", "properties": {"clients": {"type": "array", "items": {"$ref": "#/components/schemas/Client"}}}}}}}, "404": {"$ref": "#/components/responses/Problem"}}},
      "post": {"operationId": "createClient", "summary": "Create a client; the secret key is returned once", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClientCreate"}}}}, "responses": {"201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Client"}}}}, "404": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
    },
    "/admin/v1/tenants/{slug}/clients/{client_id}": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}, {"name": "client_id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {"operationId": "getClient", "summary": "Show a client", "responses": {"200": {"description": "Client", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Client"}}}}, "404": {"$ref": "#/components/responses/Problem"}}},
      "delete": {"operationId": "deleteClient", "summary": "Delete a client and revoke its grants", "responses": {"204": {"description": "Deleted"}, "404": {"$ref": "#/components/responses/Problem"}}}
    },
    "/admin/v1/tenants/{slug}/users": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}],
      "get": {"operationId": "listUsers", "summary": "List users", "responses": {"200": {"description": "Users", "content": {"application/json": {"schema": {"type": "object", "properties": {"users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}}}}}, "404": {"$ref": "#/components/responses/Problem"}}},
      "post": {"operationId": "createUser", "summary": "Create a user", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserCreate"}}}}, "responses": {"201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
    },
    "/admin/v1/tenants/{slug}/users/{user_id}": {
      "parameters": [{"$ref": "#/components/parameters/Slug"}, {"name": "user_id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^usr_[0-9A-HJKMNP-TV-Z]{26}$"}}],
      "get": {"operationId": "getUser", "summary": "Show a user", "responses": {"200": {"description": "User", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}, "404": {"$ref": "#/components/responses/Problem"}}}
    }
  },
  "components": {
    "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}},
    "parameters": {"Slug": {"name": "slug", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$"}}},
    "responses": {"Problem": {"description": "RFC 9457 problem details", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
    "schemas": {
      "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}, "errors": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}},
      "Settings": {"type": "object", "properties": {"mfa_policy": {"enum": ["none", "optional", "required"]}, "access_token_ttl": {"type": "integer", "description": "seconds"}, "id_token_ttl": {"type": "integer", "description": "seconds"}, "refresh_token_ttl": {"type": "integer", "description": "seconds"}, "session_ttl": {"type": "integer", "description": "seconds"}, "authorization_code_ttl": {"type": "integer", "description": "seconds"}, "allowed_origins": {"type": "array", "items": {"type": "string"}}}},
      "Tenant": {"type": "object", "required": ["id", "slug", "name", "environment", "issuer", "settings"], "properties": {"id": {"type": "string"}, "slug": {"type": "string"}, "name": {"type": "string"}, "environment": {"enum": ["live", "test", "dev"]}, "issuer": {"type": "string"}, "settings": {"$ref": "#/components/schemas/Settings"}, "created_at": {"type": "string", "format": "date-time"}}},
      "TenantCreate": {"type": "object", "required": ["slug", "name", "environment"], "additionalProperties": false, "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, "environment": {"enum": ["live", "test", "dev"]}, "settings": {"$ref": "#/components/schemas/Settings"}}},
      "TenantUpdate": {"type": "object", "additionalProperties": false, "properties": {"name": {"type": "string"}, "settings": {"$ref": "#/components/schemas/Settings"}}},
      "Client": {"type": "object", "required": ["client_id", "name", "type"], "properties": {"client_id": {"type": "string"}, "client_secret": {"type": "string", "description": "only in the creation response"}, "name": {"type": "string"}, "type": {"enum": ["public", "confidential"]}, "redirect_uris": {"type": "array", "items": {"type": "string"}}, "post_logout_redirect_uris": {"type": "array", "items": {"type": "string"}}, "grant_types": {"type": "array", "items": {"type": "string"}}, "first_party": {"type": "boolean"}, "allowed_scopes": {"type": "string"}, "token_endpoint_auth_method": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}},
      "ClientCreate": {"type": "object", "required": ["name", "type"], "additionalProperties": false, "properties": {"name": {"type": "string"}, "type": {"enum": ["public", "confidential"]}, "redirect_uris": {"type": "array", "items": {"type": "string"}}, "post_logout_redirect_uris": {"type": "array", "items": {"type": "string"}}, "grant_types": {"type": "array", "items": {"enum": ["authorization_code", "refresh_token", "client_credentials"]}}, "first_party": {"type": "boolean"}, "allowed_scopes": {"type": "string"}}},
      "User": {"type": "object", "required": ["id", "email", "email_verified"], "properties": {"id": {"type": "string"}, "email": {"type": "string"}, "email_verified": {"type": "boolean"}, "name": {"type": ["string", "null"]}, "disabled": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"}}},
      "UserCreate": {"type": "object", "required": ["email"], "additionalProperties": false, "properties": {"email": {"type": "string"}, "password": {"type": "string", "minLength": 8, "maxLength": 256}, "name": {"type": "string"}, "email_verified": {"type": "boolean"}}}
    }
  }
}
"""#
}
