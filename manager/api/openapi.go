package api

import (
	"maps"
	"slices"
	"strconv"

	"github.com/capstan-wifi/capstan/internal/buildinfo"
	"github.com/capstan-wifi/capstan/manager/model"
)

// OpenAPI is the API's OpenAPI 3.0 description, generated from the
// configuration model's schema so that it cannot drift from what the
// server accepts.
func OpenAPI() map[string]any {
	paths := map[string]any{}
	schemas := map[string]any{
		"Error": obj(map[string]any{"error": str("what is wrong"), "field": str("the field at fault, if any")}),
	}
	for _, r := range model.Schema {
		ref := "#/components/schemas/" + r.Name
		schemas[r.Name] = resourceSchema(r)
		base := "/api/v1/" + r.Name
		item := jsonBody(map[string]any{"$ref": ref})
		if r.Singleton {
			paths[base] = map[string]any{
				"get":   op(r.Help, nil, ok200(item)),
				"patch": op("change settings; null or \"\" unsets", item, ok200(item)),
			}
			continue
		}
		list := jsonBody(map[string]any{"type": "array", "items": map[string]any{"$ref": ref}})
		refParam := []any{map[string]any{"name": "ref", "in": "path", "required": true,
			"description": "a name, a position in list order, or *ID", "schema": str("")}}
		paths[base] = map[string]any{
			"get":  op("list "+r.Help, nil, ok200(list)),
			"post": op("add an item (\"place-before\": ref inserts it before another)", item, responses("201", item)),
		}
		one := map[string]any{
			"get":    op("one item", nil, ok200(item)),
			"patch":  op("change fields; null or \"\" unsets a field", item, ok200(item)),
			"delete": op("remove (409 while other items use it)", nil, ok200(item)),
		}
		one["parameters"] = refParam
		paths[base+"/{ref}"] = one
		paths[base+"/{ref}/move"] = map[string]any{"parameters": refParam,
			"post": op("move before destination (\"\" = to the end)", jsonBody(obj(map[string]any{"destination": str("")})), ok200(list))}
		if r.HasField("disabled") {
			paths[base+"/{ref}/enable"] = map[string]any{"parameters": refParam, "post": op("enable", nil, ok200(item))}
			paths[base+"/{ref}/disable"] = map[string]any{"parameters": refParam, "post": op("disable", nil, ok200(item))}
		}
	}
	for path, help := range map[string]string{
		"/api/v1/remote-caps":            "connected CAPs",
		"/api/v1/registration-table":     "wireless clients of every CAP",
		"/api/v1/provisioned-interfaces": "interfaces of the running CAPs, static and dynamic",
		"/api/v1/certificates":           "certificates of the PKI",
		"/api/v1/enrollment-requests":    "CAPs waiting for a certificate",
		"/api/v1/enrollment-passwords":   "one-time enrollment passwords (never the secrets)",
		"/api/v1/enrollment-preapproved": "base MACs and patterns adopted without asking",
		"/api/v1/openapi.json":           "this description",
		"/api/v1/fleet":                  "the managers sharing this manager's fleet store, the leader marked (404 without --store)",
	} {
		paths[path] = map[string]any{"get": op(help, nil, ok200(jsonBody(map[string]any{})))}
	}
	paths["/api/v1/remote-caps"].(map[string]any)["get"].(map[string]any)["parameters"] = listParams(slices.Sorted(maps.Keys(capFields)), "default "+strconv.Itoa(MaxPage))
	paths["/api/v1/registration-table"].(map[string]any)["get"].(map[string]any)["parameters"] = listParams(slices.Sorted(maps.Keys(registrationFields)), "default: every row")
	paths["/api/v1/provisioned-interfaces"].(map[string]any)["get"].(map[string]any)["parameters"] = listParams(slices.Sorted(maps.Keys(interfaceFields)), "default: every row")
	for action, help := range map[string]string{
		"provision":        "run the provisioning rules again for one CAP",
		"reselect-channel": "have one CAP scan and select its open channels again (409 when none is open)",
	} {
		paths["/api/v1/remote-caps/{ref}/"+action] = map[string]any{
			"parameters": []any{map[string]any{"name": "ref", "in": "path", "required": true,
				"description": "identity, common name, base MAC or position", "schema": str("")}},
			"post": op(help, nil, ok200(jsonBody(map[string]any{"type": "array"}))),
		}
	}
	for path, help := range map[string]string{
		"/api/v1/certificates/export":               "export a certificate (PEM or PKCS#12)",
		"/api/v1/certificates/import":               "import a certificate and key",
		"/api/v1/certificates/revoke":               "revoke a certificate",
		"/api/v1/enrollment-requests/{id}/{action}": "approve, reject or remove an enrollment request",
		"/api/v1/enrollment-passwords":              "add a one-time enrollment password",
		"/api/v1/enrollment-requests/approve-all":   "approve every pending enrollment request",
		"/api/v1/enrollment-preapproved":            "add ({\"pattern\": …}) or, with \"remove\": true, remove a base MAC or pattern adopted without asking",
	} {
		p, _ := paths[path].(map[string]any)
		if p == nil {
			p = map[string]any{}
		}
		p["post"] = op(help, jsonBody(map[string]any{"type": "object"}), ok200(jsonBody(map[string]any{})))
		paths[path] = p
	}
	paths["/api/v1/enrollment-requests/{id}/{action}"].(map[string]any)["parameters"] = []any{
		map[string]any{"name": "id", "in": "path", "required": true, "schema": str("")},
		map[string]any{"name": "action", "in": "path", "required": true, "schema": map[string]any{"type": "string", "enum": []string{"approve", "reject", "remove"}}},
	}
	user := jsonBody(obj(map[string]any{"name": str(""), "group": map[string]any{"type": "string", "enum": []string{"full", "read"}}, "password": str("12 to 256 characters")}))
	session := jsonBody(obj(map[string]any{"user": str(""), "group": str(""), "csrf_token": str("send it as " + CSRFHeader + " with every change")}))
	login := op("log in (sets the session cookie; at most 10 attempts per name, then one every 30 s)",
		jsonBody(obj(map[string]any{"name": str(""), "password": str("")})), responses("200", session))
	login["security"] = []any{}
	paths["/api/v1/login"] = map[string]any{"post": login}
	paths["/api/v1/session"] = map[string]any{"get": op("who is logged in, with the CSRF token", nil, ok200(session))}
	paths["/api/v1/logout"] = map[string]any{"post": op("end the session", nil, responses("204", nil))}
	paths["/api/v1/users"] = map[string]any{
		"get":  op("administrators (no hashes)", nil, ok200(jsonBody(map[string]any{"type": "array"}))),
		"post": op("add an administrator", user, responses("201", user)),
	}
	paths["/api/v1/users/{name}"] = map[string]any{
		"parameters": []any{map[string]any{"name": "name", "in": "path", "required": true, "schema": str("")}},
		"patch":      op("change group or password (ends the user's sessions)", user, ok200(user)),
		"delete":     op("remove (409 for the last user of group full)", nil, responses("204", nil)),
	}
	paths["/api/v1/registration-table/remove"] = map[string]any{
		"post": op("disconnect a client", jsonBody(obj(map[string]any{"mac": str("")})), ok200(jsonBody(map[string]any{}))),
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "capstan-manager", "version": buildinfo.Version},
		"paths":   paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{"token": map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": CookieName}},
		},
		"security": []any{map[string]any{"token": []any{}}, map[string]any{"session": []any{}}},
	}
}

func resourceSchema(r *model.Resource) map[string]any {
	props := map[string]any{}
	if !r.Singleton {
		props["id"] = map[string]any{"type": "integer", "readOnly": true}
	}
	for _, f := range r.Fields {
		props[f.Key] = fieldSchema(f)
	}
	s := obj(props)
	s["description"] = r.Help
	if r.Named {
		s["required"] = []any{"name"}
	}
	return s
}

func fieldSchema(f model.Field) map[string]any {
	var s map[string]any
	switch f.Kind {
	case model.Int:
		s = map[string]any{"type": "integer", "minimum": f.Min, "maximum": f.Max}
	case model.Bool:
		s = map[string]any{"type": "boolean"}
	case model.Enum:
		s = map[string]any{"type": "string", "enum": f.Enum}
	default:
		s = map[string]any{"type": "string"}
		if f.Kind == model.Ref && f.Ref != "" {
			s["description"] = "name of a " + f.Ref
		}
	}
	if f.IsSecret() {
		s["format"] = "password"
	}
	if f.List {
		s = map[string]any{"type": "array", "items": s, "description": "also accepted as comma-separated text"}
	}
	if f.Help != "" {
		s["description"] = f.Help
	}
	return s
}

func obj(props map[string]any) map[string]any {
	return map[string]any{"type": "object", "properties": props}
}

func str(desc string) map[string]any {
	s := map[string]any{"type": "string"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func jsonBody(schema map[string]any) map[string]any {
	return map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": schema}}}
}

func ok200(body map[string]any) map[string]any { return responses("200", body) }

func responses(code string, body map[string]any) map[string]any {
	errBody := jsonBody(map[string]any{"$ref": "#/components/schemas/Error"})
	out := map[string]any{
		code:  withDesc(body, "success"),
		"400": withDesc(errBody, "bad input; field names the setting"),
		"401": withDesc(errBody, "missing or wrong bearer token"),
	}
	return out
}

func withDesc(m map[string]any, d string) map[string]any {
	out := map[string]any{"description": d}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func op(summary string, body map[string]any, resp map[string]any) map[string]any {
	o := map[string]any{"summary": summary, "responses": resp}
	if body != nil {
		o["requestBody"] = body
	}
	return o
}

// listParams describes a list's query: paging, count-only and a filter
// per field.
func listParams(fields []string, defLimit string) []any {
	params := []any{
		map[string]any{"name": "offset", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 0}},
		map[string]any{"name": "limit", "in": "query", "description": defLimit, "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": MaxPage}},
		map[string]any{"name": "count-only", "in": "query", "description": "answer {\"count\": N} alone", "schema": map[string]any{"type": "boolean"}},
	}
	for _, k := range fields {
		params = append(params, map[string]any{"name": k, "in": "query", "description": "keep rows whose " + k + " equals this (\"*\": is set at all)", "schema": map[string]any{"type": "string"}})
	}
	return params
}
