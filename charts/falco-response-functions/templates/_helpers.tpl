{{/* Labels every object of the chart carries (RBAC objects carry the generated manifests' own). */}}
{{- define "frf.labels" -}}
app.kubernetes.io/part-of: falco-response-functions
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* repository[:tag][@digest]; the digest pins the image, the tag stays for people reading it. */}}
{{- define "frf.image" -}}
{{- $image := .image -}}
{{- $ref := $image.repository -}}
{{- if $image.tag }}{{ $ref = printf "%s:%s" $ref $image.tag }}{{ end -}}
{{- if $image.digest }}{{ $ref = printf "%s@%s" $ref $image.digest }}{{ end -}}
{{- if not (or $image.tag $image.digest) }}{{ fail (printf "functions.%s.image: set tag or digest (an untagged image is :latest, which nothing pins)" .name) }}{{ end -}}
{{ $ref }}
{{- end }}

{{/* The token Secret's name and key: the chart's own, or auth.existingSecret. */}}
{{- define "frf.tokenSecret" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecret }}{{ else }}falco-response-token{{ end -}}
{{- end }}

{{- define "frf.checkAuth" -}}
{{- if and .Values.auth.enabled (not .Values.auth.existingSecret) (not .Values.auth.token) -}}
{{- fail "auth.enabled: set auth.token (at least 32 characters, e.g. `openssl rand -hex 32`) or auth.existingSecret, or auth.enabled=false" -}}
{{- end -}}
{{- end }}

{{/* OpenFaaS CE deploys functions to openfaas-fn only, and its RBAC binds openfaas-fn:default. */}}
{{- define "frf.requireOpenfaasFnNamespace" -}}
{{- if ne .Release.Namespace "openfaas-fn" -}}
{{- fail (printf "openfaas.edition=ce: install into namespace openfaas-fn (OpenFaaS CE runs functions there only), not %q" .Release.Namespace) -}}
{{- end -}}
{{- end }}

{{/* Env values as the functions read them: lists joined by commas unless an item has one (then a JSON array). */}}
{{- define "frf.envValue" -}}
{{- if kindIs "slice" . -}}
{{- $joined := join "," . -}}
{{- if eq (len (splitList "," $joined)) (len .) }}{{ $joined }}{{ else }}{{ toJson . }}{{ end -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end }}
