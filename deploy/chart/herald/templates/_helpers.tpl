{{/*
Labels. Selectors (Deployment, DaemonSet, topology spread, metrics Services) use exactly the two
labels deploy/ uses, app.kubernetes.io/name and app.kubernetes.io/component, and Pod templates
carry only those: a Deployment's or DaemonSet's selector is immutable, so a kustomize install can
be taken over by the chart without deleting a workload, and the takeover rolls no Pod (issue #12).
No app.kubernetes.io/instance in selectors: Herald is one per cluster (its ClusterRoles, CRDs and
Leases have fixed names), so a second release could not coexist anyway.
*/}}

{{/* The selector labels of a component: include "herald.selectorLabels" "controller" */}}
{{- define "herald.selectorLabels" -}}
app.kubernetes.io/name: herald
app.kubernetes.io/component: {{ . }}
{{- end }}

{{/* Helm's standard labels, on top of deploy/'s on every object's metadata (never in a selector). */}}
{{- define "herald.chartLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* metadata.labels of a component's object: include "herald.labels" (list $ "controller") */}}
{{- define "herald.labels" -}}
{{ include "herald.selectorLabels" (index . 1) }}
{{ include "herald.chartLabels" (index . 0) }}
{{- end }}

{{/* metadata.labels of what belongs to Herald as a whole (the Namespace, the CRDs), as in deploy/. */}}
{{- define "herald.partOfLabels" -}}
app.kubernetes.io/name: herald
app.kubernetes.io/part-of: herald
{{ include "herald.chartLabels" . }}
{{- end }}

{{- define "herald.namespace" -}}
{{ .Values.namespace.name }}
{{- end }}

{{- define "herald.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* imagePullSecrets, nodeSelector and tolerations of a Pod spec, each only when set. */}}
{{- define "herald.podPlacement" -}}
{{- $root := index . 0 }}
{{- $component := index . 1 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $component.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $component.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
