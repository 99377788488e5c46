# How soon a resident sees their charts on a throttled mid-range phone, in headless Chromium:
# python3 scripts/phone-first-draw.py http://127.0.0.1:8080 SESSION_COOKIE_VALUE [RUNS]
import json, subprocess, sys, time, urllib.request, tempfile, socket
base, session = sys.argv[1], sys.argv[2]
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
drv = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1)
def call(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None, headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())["value"]
caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium",
    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=390,844", f"--user-data-dir={tempfile.mkdtemp()}"]}}}}
sid = call("POST", "/session", caps)["sessionId"]
cdp = lambda cmd, params: call("POST", f"/session/{sid}/goog/cdp/execute", {"cmd": cmd, "params": params})
call("POST", f"/session/{sid}/url", {"url": base + "/login"})
call("POST", f"/session/{sid}/cookie", {"cookie": {"name": "voisins_session", "value": session, "path": "/"}})
# A mid-range phone: 4x slower CPU, "Fast 3G" (150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up).
cdp("Emulation.setCPUThrottlingRate", {"rate": 4})
cdp("Network.enable", {})
cdp("Network.emulateNetworkConditions", {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 // 8, "uploadThroughput": 750_000 // 8})
cdp("Network.setCacheDisabled", {"cacheDisabled": True})
runs = []
for i in range(int(sys.argv[3]) if len(sys.argv) > 3 else 5):
    call("POST", f"/session/{sid}/url", {"url": base + "/home"})
    t0 = time.time()
    while True:
        v = call("POST", f"/session/{sid}/execute/sync", {"script": "var p = document.querySelector('#power-plot'), b = document.querySelector('#bars-plot'); if (!(p && b && p.dataset.drawn > 0 && b.dataset.drawn > 0)) return null; if (!window.__t) { window.__t = performance.now(); } var n = performance.getEntriesByType('navigation')[0]; return [window.__t, n.domContentLoadedEventEnd, n.loadEventEnd];", "args": []})
        if v: break
        if time.time() - t0 > 30: raise SystemExit("not drawn")
        time.sleep(0.02)
    runs.append(v)
    print("drawn at %.0f ms, DOMContentLoaded %.0f ms, load %.0f ms" % tuple(v))
med = sorted(r[0] for r in runs)[len(runs)//2]
print("median: charts drawn %.0f ms after navigation start" % med)
call("DELETE", f"/session/{sid}")
drv.terminate()
