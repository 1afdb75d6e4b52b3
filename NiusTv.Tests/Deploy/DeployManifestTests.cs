using System.Diagnostics;
using k8s;
using k8s.Models;
using NiusTv.Tests.Scaling;
using Xunit;

namespace NiusTv.Tests.Deploy;

/// <summary>deploy/k8s rendered offline by `kubectl kustomize` and read strictly by the KubernetesClient models:
/// an unknown field, a wrong type or an unknown apiVersion fails here rather than at `kubectl apply`.</summary>
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

    [Fact]
    public async Task The_base_renders_strictly_too()
    {
        var docs = await RenderAsync("deploy/k8s/base");
        Assert.Contains(docs, d => d is V1StatefulSet);
    }
}
