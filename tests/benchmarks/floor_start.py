"""The floor of one start for any Python client: sign in, send one StartJobs, print the job id.

``python floor_start.py ORCHESTRATOR_URL TOKEN_URL RELEASE_KEY ROBOT_ID`` (the demo
sandbox's credentials): no look-ups, the release key and robot id known in advance; the
benchmark's ``startjob run TEMPLATE`` row is measured against it.
"""

import sys

import httpx

URL, TOKEN_URL, RELEASE_KEY, ROBOT_ID = sys.argv[1:5]
START = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"

with httpx.Client(base_url=URL) as http:
    token = http.post(TOKEN_URL, data={
        "grant_type": "client_credentials", "client_id": "demo-client",
        "client_secret": "demo-secret", "scope": "OR.Jobs"}).json()["access_token"]
    answer = http.post(START, headers={"Authorization": f"Bearer {token}",
                                       "X-UIPATH-FolderPath": "Default"},
                       json={"startInfo": {"ReleaseKey": RELEASE_KEY, "Strategy": "Specific",
                                           "RobotIds": [int(ROBOT_ID)],
                                           "InputArguments": '{"IncidentId": "INC0010234"}'}})
    answer.raise_for_status()
    print(answer.json()["value"][0]["Id"])
