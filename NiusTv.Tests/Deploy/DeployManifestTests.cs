using System.Diagnostics;
using k8s;
using k8s.Models;
using NiusTv.Tests.Scaling;
using Xunit;

namespace NiusTv.Tests.Deploy;

/// <summary>deploy/k8s rendered offline by `kubectl kustomize` and read strictly by the KubernetesClient models:
/// an unknown field, a wrong type or an unknown apiVersion fails here rather than at `kubectl apply`.</summary>
[Trait("Speed", "Slow")]
public sealed class DeployManifestTests
{
    private static readonly string Root = ClusterManagerTests.RepoRoot();

    private static async Task<List<object>> RenderAsync(string dir)
    {
        var psi = new ProcessStartInfo("kubectl", ["kustomize", Path.Combine(Root, dir)]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("kubectl did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"kubectl kustomize {dir} failed: {stderr}");
        return KubernetesYaml.LoadAllFromString(await stdout, strict: true).ToList();
    }

    private static T One<T>(IEnumerable<object> docs, string name) where T : IMetadata<V1ObjectMeta> =>
        Assert.Single(docs.OfType<T>(), d => d.Metadata.Name == name);

    [Fact]
    public async Task The_gke_overlay_renders_and_has_every_kind_the_deployment_needs()
    {
        var docs = await RenderAsync("deploy/k8s/overlays/gke");
        Assert.Single(docs.OfType<V1Namespace>(), n => n.Metadata.Name == "nius");
        var sa = One<V1ServiceAccount>(docs, "nius");
        Assert.EndsWith(".iam.gserviceaccount.com", sa.Metadata.Annotations["iam.gke.io/gcp-service-account"]);
        One<V1ConfigMap>(docs, "nius-config");
        One<V1Secret>(docs, "nius-secrets");
        One<V1StatefulSet>(docs, "nius-worker");
        One<V1Deployment>(docs, "nius-scaler");
        One<V1Deployment>(docs, "gentle");
        One<V1Service>(docs, "gentle");
        Assert.Equal(2, docs.OfType<V1PodDisruptionBudget>().Count());
        // Everything namespaced lands in the namespace.
        Assert.All(docs.OfType<IMetadata<V1ObjectMeta>>().Where(d => d is not V1Namespace), d => Assert.Equal("nius", d.Metadata.NamespaceProperty));
    }

    [Fact]
    public async Task Discovery_may_read_pods_and_nothing_else()
    {
        var docs = await RenderAsync("deploy/k8s/overlays/gke");
        var rule = Assert.Single(One<V1Role>(docs, "pod-reader").Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "watch"], rule.Verbs);
        Assert.Empty(docs.OfType<V1ClusterRole>());
        var binding = One<V1RoleBinding>(docs, "nius-pod-reader");
        Assert.Equal(("Role", "pod-reader"), (binding.RoleRef.Kind, binding.RoleRef.Name));
        Assert.Equal(("ServiceAccount", "nius"), (binding.Subjects.Single().Kind, binding.Subjects.Single().Name));
    }

    [Fact]
    public async Task Workers_get_a_gpu_the_gpu_pool_local_ssd_workspace_probes_with_the_token_and_a_graceful_leave()
    {
        var docs = await RenderAsync("deploy/k8s/overlays/gke");
        var worker = One<V1StatefulSet>(docs, "nius-worker").Spec.Template.Spec;
        var c = worker.Containers.Single(x => x.Name == "nius");
        Assert.Equal("1", c.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("1", c.Resources.Requests["nvidia.com/gpu"].ToString());
        Assert.Equal("gpu", worker.NodeSelector["niustv/pool"]);
        Assert.Contains(worker.Tolerations, t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule");
        Assert.Equal(["akka-remote", "management", "admin"], c.Ports.Select(p => p.Name));
        Assert.Equal(8558, c.Ports.Single(p => p.Name == "management").ContainerPort);

        Assert.Equal("/data", c.VolumeMounts.Single(m => m.Name == "workspace").MountPath);
        Assert.NotNull(worker.Volumes.Single(v => v.Name == "workspace").EmptyDir);
        var models = worker.Volumes.Single(v => v.Name == "models");
        Assert.True(c.VolumeMounts.Single(m => m.Name == "models").ReadOnlyProperty);
        Assert.Equal("PROJECT_ID-nius-models", models.Csi.VolumeAttributes["bucketName"]); // copied from the ConfigMap

        var token = One<V1Secret>(docs, "nius-secrets").StringData["admin-token"];
        foreach (var (probe, path) in new[] { (c.LivenessProbe, "/health/live"), (c.ReadinessProbe, "/health/ready"), (c.StartupProbe, "/health/live") })
        {
            Assert.Equal(path, probe.HttpGet.Path);
            Assert.Equal("admin", probe.HttpGet.Port.Value);
            Assert.Equal("Bearer " + token, probe.HttpGet.HttpHeaders.Single(h => h.Name == "Authorization").Value);
        }
        Assert.Contains(c.Env, e => e.Name == "NIUSTV__Node__AdminToken" && e.ValueFrom.SecretKeyRef.Name == "nius-secrets");
        Assert.Contains(c.Env, e => e.Name == "NIUSTV__Node__Journal" && e.ValueFrom.SecretKeyRef.Key == "journal");
        Assert.Equal(["nius", "cluster", "leave", "--wait"], c.Lifecycle.PreStop.Exec.Command.Take(4));
        Assert.True(worker.SecurityContext.RunAsNonRoot);
    }

    [Fact]
    public async Task The_scaler_runs_on_the_system_pool_without_a_gpu()
    {
        var docs = await RenderAsync("deploy/k8s/overlays/gke");
        var scaler = One<V1Deployment>(docs, "nius-scaler").Spec.Template.Spec;
        var c = scaler.Containers.Single(x => x.Name == "nius");
        Assert.Equal("system", scaler.NodeSelector["niustv/pool"]);
        Assert.False(c.Resources.Limits?.ContainsKey("nvidia.com/gpu") ?? false);
        Assert.Equal("scaler", c.Env.Single(e => e.Name == "NIUSTV__Node__Roles").Value);
        Assert.Equal("/health/ready", c.ReadinessProbe.HttpGet.Path);
        var config = One<V1ConfigMap>(docs, "nius-config").Data;
        Assert.Equal("gpu", config["NIUSTV__Gke__NodePool"]);
        Assert.Equal("0.0.0.0:9110", config["NIUSTV__Node__Admin"]);
    }

    /// <summary>The containers that serve the admin endpoint (a port named admin), with their pod spec.</summary>
    private static IEnumerable<(string Workload, V1PodSpec Pod, V1Container Container)> AdminContainers(List<object> docs) =>
        docs.OfType<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template.Spec))
            .Concat(docs.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec)))
            .SelectMany(w => w.Item2.Containers.Where(c => c.Ports?.Any(p => p.Name == "admin") == true).Select(c => (w.Item1, w.Item2, c)));

    private static IEnumerable<V1Probe> Probes(V1Container c) => new[] { c.StartupProbe, c.LivenessProbe, c.ReadinessProbe }.Where(p => p is not null);

    [Fact]
    public async Task With_the_admin_tls_component_every_admin_probe_speaks_https_and_the_node_serves_the_mounted_certificate()
    {
        var docs = await RenderAsync("deploy/k8s/overlays/gke-tls");
        var token = One<V1Secret>(docs, "nius-secrets").StringData["admin-token"];
        var admin = AdminContainers(docs).ToList();
        Assert.Equal(["nius-scaler", "nius-worker"], admin.Select(a => a.Workload).Order());
        foreach (var (workload, pod, c) in admin)
        {
            Assert.Equal(workload == "nius-worker" ? 3 : 2, Probes(c).Count());
            Assert.All(Probes(c), p =>
            {
                Assert.True(p.HttpGet.Scheme == "HTTPS", $"{workload}: a probe asks over {p.HttpGet.Scheme ?? "HTTP"}");
                Assert.Equal("admin", p.HttpGet.Port.Value);
                Assert.Equal("Bearer " + token, p.HttpGet.HttpHeaders.Single(h => h.Name == "Authorization").Value);
            });
            var mount = c.VolumeMounts.Single(m => m.Name == "admin-tls");
            Assert.True(mount.ReadOnlyProperty);
            Assert.Equal("nius-admin-tls", pod.Volumes.Single(v => v.Name == "admin-tls").Secret.SecretName);
            Assert.Equal(10001, pod.SecurityContext.FsGroup); // the key is mounted 0440
            string Env(string name) => c.Env.Single(e => e.Name == name).Value;
            Assert.Equal(mount.MountPath + "/tls.crt", Env("NIUSTV__Node__AdminCert"));
            Assert.Equal(mount.MountPath + "/tls.key", Env("NIUSTV__Node__AdminCertKey"));
            Assert.Equal(mount.MountPath + "/tls.crt", Env("NIUSTV_ADMIN_CERT"));
            var leave = c.Lifecycle.PreStop.Exec.Command;
            Assert.Equal(["nius", "cluster", "leave", "--wait"], leave.Take(4));
            Assert.Equal("https://127.0.0.1:9110", leave[leave.IndexOf("--admin") + 1]);
            // The rest of the overlay is untouched: the token still reaches the node and the journal its secret.
            Assert.Contains(c.Env, e => e.Name == "NIUSTV__Node__AdminToken" && e.ValueFrom.SecretKeyRef.Name == "nius-secrets");
        }
    }

    [Fact]
    public async Task Without_the_admin_tls_component_the_probes_stay_on_plain_http()
    {
        var docs = await RenderAsync("deploy/k8s/overlays/gke");
        Assert.All(AdminContainers(docs), a =>
        {
            Assert.All(Probes(a.Container), p => Assert.True(p.HttpGet.Scheme is null or "HTTP"));
            Assert.DoesNotContain(a.Container.Env, e => e.Name == "NIUSTV__Node__AdminCert");
        });
    }

    [Fact]
    public async Task The_base_renders_strictly_too()
    {
        var docs = await RenderAsync("deploy/k8s/base");
        Assert.Contains(docs, d => d is V1StatefulSet);
    }
}
