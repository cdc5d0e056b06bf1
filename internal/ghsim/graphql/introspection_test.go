package graphql

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// introspectionQuery is GraphiQL's standard introspection query.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`

func TestIntrospection(t *testing.T) {
	e := newEnv(t)
	r := e.do(introspectionQuery, nil).ok(t)
	if r.str(t, "__schema", "queryType", "name") != "Query" || r.str(t, "__schema", "mutationType", "name") != "Mutation" {
		t.Errorf("root types: %v", r.get(t, "__schema", "queryType"))
	}
	s, _ := Schema()
	if n := len(r.get(t, "__schema", "types").([]any)); n != len(s.Types) {
		t.Errorf("%d types, want %d", n, len(s.Types))
	}

	r = e.do(`{
  input: __type(name: "CreateRefInput") { kind inputFields { name type { kind ofType { name } } } }
  perm: __type(name: "RepositoryPermission") { kind enumValues { name } }
  node: __type(name: "Node") { kind possibleTypes { name } }
  repo: __type(name: "Repository") { fields { name type { kind ofType { name } } } interfaces { name } }
  none: __type(name: "Nope") { name }
}`, nil).ok(t)
	var inputs []string
	for _, f := range r.get(t, "input", "inputFields").([]any) {
		m := f.(map[string]any)
		typ := m["type"].(map[string]any)
		name := m["name"].(string) + ":" + typ["kind"].(string)
		if of, ok := typ["ofType"].(map[string]any); ok {
			name += ":" + of["name"].(string)
		}
		inputs = append(inputs, name)
	}
	want := []string{"clientMutationId:SCALAR", "name:NON_NULL:String", "oid:NON_NULL:GitObjectID", "repositoryId:NON_NULL:ID"}
	if diff := cmp.Diff(want, inputs); diff != "" {
		t.Errorf("CreateRefInput fields (-want +got):\n%s", diff)
	}
	var perms []string
	for _, v := range r.get(t, "perm", "enumValues").([]any) {
		perms = append(perms, v.(map[string]any)["name"].(string))
	}
	if diff := cmp.Diff([]string{"ADMIN", "MAINTAIN", "READ", "TRIAGE", "WRITE"}, perms); diff != "" {
		t.Errorf("RepositoryPermission (-want +got):\n%s", diff)
	}
	if r.get(t, "none") != nil {
		t.Error("unknown type should be null")
	}
	found := false
	for _, f := range r.get(t, "repo", "fields").([]any) {
		m := f.(map[string]any)
		if m["name"] == "nameWithOwner" {
			found = true
			if diff := cmp.Diff(map[string]any{"kind": "NON_NULL", "ofType": map[string]any{"name": "String"}}, m["type"]); diff != "" {
				t.Errorf("nameWithOwner type (-want +got):\n%s", diff)
			}
		}
	}
	if !found {
		t.Error("Repository.nameWithOwner not listed")
	}
	if len(r.get(t, "node", "possibleTypes").([]any)) < 100 {
		t.Errorf("Node has only %d possible types", len(r.get(t, "node", "possibleTypes").([]any)))
	}
}
