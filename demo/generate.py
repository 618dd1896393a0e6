# ruff: noqa: E501, S311
"""Generate the Expertdesk demo data (demo/tickets.csv, demo/articles.csv).

Original text written for this project. Deterministic: running it again rewrites the
same bytes. Standard library only.

    python demo/generate.py

Taxonomy rules used to keep labels consistent where vocabulary overlaps:
  * Outlook / mailbox / calendar / mail-flow problems are Email (even when Outlook crashes).
  * VPN or Wi-Fi *connectivity* is Network; expired/locked passwords and MFA (VPN too) are
    Access & Accounts; permission requests for any app or site are Access & Accounts.
  * Phishing, malware, lost devices, leaked secrets are Security (not Email / Hardware).
  * Desktop application install/crash/update problems (Teams, Excel, Zoom client) are Software;
    service-side problems of hosted services (SharePoint Online, OneDrive, Salesforce, Slack,
    Jira Cloud, AWS) are Cloud & SaaS.
  * Scan-to-email and scan-to-folder are Printing.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import TypedDict

SEED = 20240611
HERE = Path(__file__).resolve().parent
CATEGORIES = [
    "Network",
    "Email",
    "Hardware",
    "Software",
    "Access & Accounts",
    "Security",
    "Printing",
    "Cloud & SaaS",
]
# Tickets per category (sums to 400).
COUNTS = {
    "Network": 52,
    "Email": 54,
    "Hardware": 50,
    "Software": 50,
    "Access & Accounts": 56,
    "Security": 46,
    "Printing": 44,
    "Cloud & SaaS": 48,
}

POOLS: dict[str, list[str]] = {
    "laptop": [
        "Dell Latitude 5440",
        "Lenovo ThinkPad T14",
        "HP EliteBook 840 G9",
        "MacBook Pro 14",
        "Surface Laptop 5",
        "ThinkPad X1 Carbon",
        "Dell XPS 13",
        "MacBook Air M2",
    ],
    "printer": [
        "HP LaserJet M607",
        "Canon imageRUNNER C3530",
        "Xerox VersaLink C405",
        "Brother HL-L6200",
        "Ricoh IM C3000",
        "HP Color LaserJet M555",
        "Kyocera TASKalfa 3253ci",
    ],
    "prn": ["PRN-3F-EAST", "PRN-2F-FIN", "PRN-LOBBY-01", "PRN-5F-HR", "PRN-4F-MKT", "PRN-1F-OPS"],
    "site": [
        "Boston office",
        "Denver office",
        "London office",
        "Austin HQ",
        "Chicago branch",
        "Toronto office",
    ],
    "floor": [
        "3rd floor",
        "2nd floor east wing",
        "4th floor",
        "5th floor",
        "the mezzanine",
        "1st floor west side",
    ],
    "asset": [
        "ACME-LT-0412",
        "ACME-LT-1187",
        "ACME-LT-0935",
        "ACME-LT-2204",
        "ACME-LT-1650",
        "ACME-LT-0078",
        "ACME-LT-3021",
    ],
    "mobile": ["iPhone 15", "iPhone 13", "Pixel 8", "Galaxy S23", "iPhone SE"],
    "monitor": ["Dell U2723QE", "LG 27UK850", "Dell P2422H", "Samsung ViewFinity S8", "HP E24 G5"],
    "dock": ["Dell WD19S dock", "ThinkPad USB-C Dock", "CalDigit TS4", "HP USB-C G5 dock"],
    "room": ["Harbor", "Summit", "Maple", "Everest", "Boardroom A", "Cedar", "Falcon"],
    "n": ["3", "4", "5", "6", "8", "10", "12", "15", "20"],
    "dept": [
        "Finance",
        "HR",
        "Marketing",
        "Sales",
        "Legal",
        "Operations",
        "Engineering",
        "Procurement",
    ],
    "share": [
        r"\\fs01\finance",
        r"\\fs02\shared",
        r"\\fs01\hr-private",
        r"\\fs03\projects",
        r"\\fs02\marketing",
    ],
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "when": [
        "since this morning",
        "since lunch",
        "since yesterday",
        "for about an hour",
        "since the weekend",
        "since about 9am",
        "since Monday",
    ],
}
FIRST = [
    "Jane",
    "Priya",
    "Marcus",
    "Elena",
    "Tom",
    "Aisha",
    "Kenji",
    "Laura",
    "Diego",
    "Fatima",
    "Olivia",
    "Sam",
    "Rahul",
    "Chloe",
    "Ben",
    "Ngozi",
    "Lukas",
    "Mei",
    "Carlos",
    "Hannah",
    "Omar",
    "Sofia",
    "Greg",
    "Yuki",
    "Daniel",
    "Amara",
    "Pete",
    "Ingrid",
    "Raj",
    "Nora",
]
LAST = [
    "Doe",
    "Shah",
    "Bennett",
    "Kowalski",
    "Nguyen",
    "Okafor",
    "Tanaka",
    "Fischer",
    "Ramirez",
    "Haddad",
    "Murphy",
    "Patel",
    "Lindqvist",
    "Moreau",
    "Adeyemi",
    "Brennan",
    "Silva",
    "Chen",
    "Novak",
    "Walsh",
]

GREETINGS = [
    "Hi IT,",
    "Hello,",
    "Hi team,",
    "Hey,",
    "Good morning,",
    "Hi helpdesk,",
    "Hello IT team,",
    "Hi all,",
    "Hi there,",
]
SIGNOFFS = [
    "Thanks,",
    "Thank you,",
    "Thx,",
    "Regards,",
    "Best,",
    "Cheers,",
    "Many thanks,",
    "Appreciate it,",
]


class Problem(TypedDict):
    cat: str
    prio: str
    titles: list[str]
    bodies: list[str]
    answer: str


PROBLEMS: list[Problem] = []


def problem(cat: str, prio: str, titles: list[str], bodies: list[str], answer: str) -> None:
    """Register one underlying problem. A body may start with '!<priority> ' to override."""
    PROBLEMS.append(
        {"cat": cat, "prio": prio, "titles": titles, "bodies": bodies, "answer": answer}
    )


# --------------------------------------------------------------------------- Network
C = "Network"
problem(
    C,
    "medium",
    [
        "Wi-Fi keeps dropping on my laptop",
        "Wireless disconnects every few minutes",
        "Laptop losing Wi-Fi connection constantly",
    ],
    [
        "My {laptop} keeps dropping off the ACME-Corp Wi-Fi every 10 minutes or so. Everyone around me seems fine. It reconnects by itself but I lose my Teams calls each time.",
        "wifi on my laptop disconnects and reconnects all day, {when}. I'm on the {floor}. Tried forgetting the network already.",
        "Wireless connection is really unstable at my desk ({floor}, near the kitchen). Signal shows full bars but pages time out and then it drops completely.",
    ],
    "Updated the Intel Wi-Fi driver to the current version and turned off 'Allow the computer to turn off this device to save power' on the adapter. Also removed the old saved SSID profile and rejoined ACME-Corp via the 802.1X certificate; connection stable after 30 minutes of monitoring.",
)
problem(
    C,
    "critical",
    [
        "Entire floor has no network",
        "Whole {floor} lost network and Wi-Fi",
        "Network outage on {floor} - nobody can work",
    ],
    [
        "Nobody on the {floor} has network right now, wired or wireless. About 40 people affected, we can't reach anything including Teams. Started around 9:15.",
        "Complete outage at the {site}: no internet, no internal apps, phones dead too. Whole office is sitting idle, please escalate!!",
        "All desks on our floor lost connectivity at the same time. The switch lights in the comms closet look off. This is blocking the whole {dept} team during close.",
    ],
    "Access switch SW-3F-02 lost power after a tripped PDU breaker in the comms closet. Reset the breaker, moved the switch to the UPS-backed circuit and confirmed all ports came back up; users reconnected within 5 minutes. Opened a facilities ticket to check the PDU load.",
)
problem(
    C,
    "medium",
    [
        "VPN connects but internal sites won't load",
        "Connected to VPN but can't reach intranet",
        "GlobalProtect connected, no internal access",
    ],
    [
        "GlobalProtect says Connected but I can't open the intranet or Jira on-prem. External sites work fine. Working from home today.",
        "I'm on the VPN (shows connected, green icon) but nothing internal resolves, e.g. intranet.acme.test just spins. Was fine yesterday.",
        "VPN client connects without errors however {share} and the HR portal time out. Tried disconnecting and reconnecting twice.",
    ],
    "The VPN was in split-tunnel mode with a stale DNS suffix list. Pushed the updated GlobalProtect config (Refresh Connection), then ran ipconfig /flushdns; internal names now resolve to 10.x addresses and the intranet loads.",
)
problem(
    C,
    "medium",
    [
        "VPN disconnects every few minutes",
        "VPN keeps dropping while working from home",
        "Frequent VPN drops during calls",
    ],
    [
        "My VPN drops every 5-10 minutes when working remotely, and I have to log in again. Home internet is fine otherwise. Laptop is a {laptop}.",
        "GlobalProtect keeps disconnecting with 'gateway unreachable'. It happens several times an hour and kills my RDP sessions.",
        "The vpn connection is super flaky today, drops and reconnects constantly. Hotel wifi but other stuff works ok.",
    ],
    "Switched the GlobalProtect client from the IPSec to the SSL tunnel (hotel and some ISPs drop UDP 4501) and updated the client to the current version. Asked the user to prefer the nearest gateway (us-east); no drops reported in the following day.",
)
problem(
    C,
    "high",
    [
        "Internet extremely slow at the {site}",
        "Very slow network at branch office",
        "Branch office bandwidth terrible today",
    ],
    [
        "Internet at the {site} is crawling {when}. Web pages take 30+ seconds, Zoom calls freeze. It's the whole office, not just me.",
        "Everything is slow at our branch today - SharePoint, email attachments, even Google. Speedtest shows 2 Mbps down, we normally get 500.",
        "!medium Network feels really slow at my desk this afternoon, file copies to {share} take forever. Not sure if it's just me.",
    ],
    "The primary ISP circuit at the branch was saturated by a misconfigured backup job pushing to the cloud during business hours. Throttled the job via QoS and moved it to 22:00; bandwidth back to normal. Also confirmed failover to the secondary circuit works.",
)
problem(
    C,
    "low",
    [
        "Guest Wi-Fi login page not loading",
        "Visitor can't get on guest wifi",
        "Guest network captive portal broken",
    ],
    [
        "We have a visitor in the {room} room who can't get on ACME-Guest, the login page never appears on her laptop.",
        "Guest wifi splash page doesn't load for our contractors, they just get 'no internet'. Could you check when you get a chance?",
        "How do guests get onto the wifi? The captive portal isn't popping up for a vendor who's here today.",
    ],
    "Captive portal pages don't appear when the device has a cached HTTPS homepage or a custom DNS. Ask the guest to open http://neverssl.com to trigger the portal, or generate a daily voucher from the guest portal admin page; also restarted the guest controller service which had a stuck session table.",
)
problem(
    C,
    "low",
    [
        "Ethernet port at my desk doesn't work",
        "Wall network jack is dead",
        "No connection from desk network port",
    ],
    [
        "The network port at desk 4-112 doesn't work, the cable light never comes on. Tried two different cables.",
        "Moved to a new desk on the {floor} and the wired ethernet jack is dead. Wi-Fi works so not urgent.",
        "Plugged my dock into the wall jack and get 'network cable unplugged'. Other desk ports next to mine work.",
    ],
    "The jack was not patched in the comms closet after the last desk move. Patched port 4-112 to the access switch, assigned it to the user VLAN and verified link and DHCP lease at the desk.",
)
problem(
    C,
    "high",
    [
        "Internal hostnames not resolving (DNS)",
        "DNS lookup failing for internal servers",
        "Can't resolve any acme.test addresses",
    ],
    [
        "Since this morning none of the internal hostnames resolve, e.g. jira.acme.test and fs01. IP addresses work directly. Looks like DNS, multiple people here affected.",
        "nslookup intranet.acme.test returns 'server failed'. Half our team can't open internal apps. Please look asap.",
        "!critical DNS seems down company-wide: nobody can reach internal systems by name and logins to the ERP are failing. Started 10 min ago.",
    ],
    "The secondary domain controller DC02 had its DNS service stopped after patching and clients were pointed to it first via DHCP option 6. Restarted the DNS Server service, corrected the DHCP scope order and added a monitor for the service.",
)
problem(
    C,
    "medium",
    [
        "Can't access the network file share",
        "Mapped drive {share} not reachable",
        "File share unreachable from laptop",
    ],
    [
        "My mapped drive to {share} shows a red X and I get 'network path not found'. Colleagues can open it.",
        "Can't get to {share} from the office today, Windows says the network path was not found (error 0x80070035).",
        "!high I'm unable to open the shared drive, it just says Windows cannot access {share}. Need the budget files for a meeting at 2.",
    ],
    "The laptop had fallen back to the public network profile so SMB was blocked by the firewall. Reset the network profile to Domain, ran gpupdate /force and remapped the drive; the share opens normally.",
)
problem(
    C,
    "low",
    [
        "Need network drop for new desk",
        "Request new ethernet port for office move",
        "Network cabling for new meeting room",
    ],
    [
        "We're moving the {dept} team to the {floor} next {day}. Need 6 active network ports and one for a printer.",
        "Could we get a network port activated at desk 2-045? New starter arrives next week.",
        "Requesting two wired drops in the {room} room for the new video bar and a PC.",
    ],
    "Scheduled the cabling contractor for the requested drops and activated the existing spare ports on the user VLAN. Printer port was put on the printer VLAN with a DHCP reservation. Ticket updated with port numbers for facilities.",
)
problem(
    C,
    "low",
    [
        "Weak Wi-Fi signal in meeting room",
        "Poor wifi coverage in {room} room",
        "Wireless dead spot near the back offices",
    ],
    [
        "Wi-Fi signal in the {room} room is really weak, video calls keep freezing in there. Fine in the hallway.",
        "There's a dead spot in the back offices on the {floor}, one bar of wifi at best.",
        "Could someone look at wireless coverage in the {room} meeting room? Guests complain every time.",
    ],
    "Survey showed the nearest access point was blocked by the new glass partition. Installed an additional AP on the ceiling above the room and lowered the transmit power of the hallway AP to balance roaming.",
)
problem(
    C,
    "medium",
    [
        "IP address conflict error on my PC",
        "Windows reports duplicate IP address",
        "IP conflict popup and no network",
    ],
    [
        "I keep getting 'Windows has detected an IP address conflict' and then my network stops working for a minute.",
        "My desktop in {dept} says another device on the network is using its IP address. Connection drops afterwards.",
        "Getting an ip conflict warning on my {laptop} every morning when I dock.",
    ],
    "A lab device had been given a static IP inside the DHCP pool. Moved the device to a reservation outside the pool, released/renewed the user's lease (ipconfig /release, /renew) and added the address to the DHCP exclusion range.",
)
problem(
    C,
    "critical",
    [
        "Warehouse site completely offline",
        "Site-to-site link down to {site}",
        "Branch cannot reach HQ systems at all",
    ],
    [
        "The warehouse has lost connection to HQ. Scanners can't reach the WMS and shipping is stopped. The router has an orange light.",
        "Our whole site ({site}) can't reach any HQ systems - ERP, file shares, phones. Internet also down. We have trucks waiting.",
        "!high Site-to-site VPN to the {site} is flapping, the branch loses HQ apps every few minutes. Users are frustrated.",
    ],
    "The primary MPLS circuit was down due to a carrier fibre cut. Failed the branch over to the LTE backup tunnel, confirmed WMS and ERP reachability, and opened a priority case with the carrier (ref CX-88213). Circuit restored that afternoon and traffic moved back.",
)
problem(
    C,
    "medium",
    [
        "Teams and Zoom calls choppy, packet loss",
        "Audio cutting out on video calls",
        "Video calls freezing in office",
    ],
    [
        "My Teams calls are choppy today, people say my audio cuts out. Speed test looks ok but there's jitter.",
        "!high Zoom keeps showing 'your internet connection is unstable' on the office network. Happens to several of us on the {floor}.",
        "Calls keep freezing and dropping audio from the office, fine from home. Seems like packet loss.",
    ],
    "Found 4% packet loss on the uplink from the floor switch caused by a bad SFP. Replaced the SFP, verified clean counters, and confirmed the QoS policy marks Teams/Zoom media as EF. Call quality dashboard shows normal jitter again.",
)
problem(
    C,
    "low",
    [
        "Web proxy blocking a legitimate vendor website",
        "Website blocked by the company proxy",
        "Can't open supplier site from office network",
    ],
    [
        "The proxy is blocking our freight supplier's tracking site, says 'category: uncategorized'. I need it for daily work.",
        "!medium Getting a 'blocked by policy' page for a vendor portal that {dept} uses. Works on my phone on 4G.",
        "Could you unblock the training site we bought for the team? Web filter says it's blocked.",
    ],
    "The site was uncategorized in the web filter. Submitted it for recategorization and added a temporary allow rule for *.vendor domain after security reviewed it; the user confirmed access.",
)
problem(
    C,
    "low",
    ["VPN very slow from home", "Slow speeds only on VPN", "Everything is slow when VPN is on"],
    [
        "When I'm on VPN everything gets super slow, even Spotify lol. Off VPN my internet is 300 Mbps.",
        "VPN works but downloads from {share} are painfully slow at home. Is there anything I can tune?",
        "Working remotely and internet is slow only when connected to the vpn. Not urgent, just annoying.",
    ],
    "The user was connected to the London gateway by default. Set the GlobalProtect portal to choose the gateway with the lowest latency and confirmed split tunnelling for Microsoft 365 and Zoom traffic is enabled, which roughly tripled throughput.",
)

# --------------------------------------------------------------------------- Email
C = "Email"
problem(
    C,
    "medium",
    [
        "Outlook crashes on startup",
        "Outlook closes immediately after opening",
        "Outlook won't open, crashes every time",
    ],
    [
        "Outlook crashes as soon as I open it, I see the splash screen and then it just closes. Restarted twice already.",
        "!high outlook keeps crashing on start up {when}, says 'Microsoft Outlook has stopped working'. Need my email for a client call.",
        "Every time I launch Outlook on my {laptop} it freezes on 'Processing' and then crashes. Webmail works fine.",
    ],
    "Started Outlook in safe mode (outlook.exe /safe), which worked, then disabled the faulty third-party add-in (the old PDF add-in) under File > Options > Add-ins. Outlook now opens normally; the add-in was removed via Company Portal.",
)
problem(
    C,
    "medium",
    [
        "Mailbox full, can't send emails",
        "Mailbox size limit reached",
        "Getting mailbox almost full warnings",
    ],
    [
        "I'm getting 'your mailbox is full' and can't send anything. I've already deleted a bunch of stuff.",
        "Outlook says my mailbox is over its size limit. Is there a way to get more space? I have lots of project emails I need to keep.",
        "Keep getting warnings that my mailbox is almost full (49.5 GB of 50). What should I archive?",
    ],
    "Enabled the online archive for the mailbox and applied the 2-year auto-archive retention policy; also emptied Deleted Items and Recoverable Items. Mailbox dropped to 31 GB and sending works again.",
)
problem(
    C,
    "high",
    [
        "Emails to a customer domain are bouncing",
        "Getting 550 bounce back for external emails",
        "Undeliverable messages to one external domain",
    ],
    [
        "All my emails to @northwind-logistics.test bounce with '550 5.7.1 message rejected'. We have a deal closing this week.",
        "Our emails to one of our biggest customers are coming back undeliverable. NDR says 'Remote server returned 554 5.7.1'.",
        "Messages to external addresses bounce back {when} with an SPF fail in the NDR. Internal mail is fine.",
    ],
    "The recipient's gateway was rejecting us due to an outdated SPF record missing our new mail relay. Added the relay to the acme.test SPF TXT record, confirmed DKIM signing is on, and asked the customer's admin to clear the cached reputation. Test messages delivered.",
)
problem(
    C,
    "low",
    [
        "Shared mailbox not showing in Outlook",
        "Can't see team shared mailbox",
        "Shared inbox missing from folder list",
    ],
    [
        "I was given access to the support@ shared mailbox but it doesn't show up in Outlook. Do I need to add it myself?",
        "The {dept} shared inbox disappeared from my Outlook folder pane after a restart.",
        "How do I add the invoices@acme.test shared mailbox to Outlook on my Mac?",
    ],
    "Full Access permission had been granted without AutoMapping. Added the mailbox manually via File > Account Settings > Change > More Settings > Advanced > Add (on Mac: Preferences > Accounts > Delegation and Sharing). It appears after restarting Outlook.",
)
problem(
    C,
    "medium",
    [
        "Meeting invites disappearing from calendar",
        "Calendar not showing accepted meetings",
        "Outlook calendar missing appointments",
    ],
    [
        "!high Meetings I accepted are vanishing from my Outlook calendar. This happened 3 times this week and I missed a client call.",
        "My calendar shows different things on my phone and my laptop, some invites just aren't there.",
        "Calendar in Outlook isn't updating, recurring meeting with {dept} shows on web but not desktop.",
    ],
    "The phone's native mail app was deleting items after processing invites (known issue with some iOS Mail versions). Removed the account from iOS Mail, set up Outlook for iOS instead, and rebuilt the Outlook desktop OST. Calendars are consistent now.",
)
problem(
    C,
    "low",
    [
        "How to set up out of office reply",
        "Set automatic replies while on leave",
        "Help with out-of-office message",
    ],
    [
        "Going on holiday next week, how do I set the out of office in Outlook?",
        "Can someone set up an automatic reply for me, I'm already on leave and only have my phone.",
        "How do I turn on OOO for external senders only?",
    ],
    "In Outlook go to File > Automatic Replies, choose 'Send automatic replies', set the date range and write separate inside/outside messages (tick 'Anyone outside my organization' for external). On the phone, Outlook mobile > Settings > your account > Automatic Replies does the same.",
)
problem(
    C,
    "low",
    [
        "Need help with email signature",
        "Update my Outlook signature",
        "Company email signature template",
    ],
    [
        "Where can I get the new company email signature template? Marketing says we have to switch by Friday.",
        "My signature looks broken in replies (logo shows as attachment). Can you help?",
        "I changed roles, how do I update my signature in outlook and on my phone?",
    ],
    "Signatures are now managed centrally and added automatically at send time; remove any local signature under File > Options > Mail > Signatures to avoid duplicates. Title/department changes come from the HR system and sync within 24 hours.",
)
problem(
    C,
    "medium",
    [
        "Outlook stuck on Disconnected",
        "Outlook says Trying to connect",
        "Outlook not receiving new email",
    ],
    [
        "Outlook has been showing 'Disconnected' at the bottom all morning and no new email comes in. Teams works.",
        "My outlook is stuck on 'Trying to connect...' and the send/receive doesn't do anything. Webmail shows new mails.",
        "Haven't received emails in Outlook {when}, status bar says 'Working offline'? I didn't change anything.",
    ],
    "The 'Work Offline' toggle was enabled under Send/Receive; where it wasn't, the OST was corrupted. Turned Work Offline off, and for the second case renamed the OST file and restarted Outlook to resync from Exchange Online.",
)
problem(
    C,
    "low",
    [
        "Create new distribution list",
        "Add people to email distribution group",
        "Request new mailing list for team",
    ],
    [
        "Can you create a distribution list for the {dept} leads, around 12 people? I'll send names.",
        "Please add two new starters to the all-{dept} email group.",
        "We need a mailing list project-atlas@acme.test for the new project team, owner me.",
    ],
    "Created the distribution group in Exchange admin, set the requester as owner so they can manage membership in Outlook (Groups > Manage), and restricted external senders by default.",
)
problem(
    C,
    "medium",
    [
        "Legitimate emails going to junk folder",
        "Vendor emails landing in spam",
        "Customer replies ending up in quarantine",
    ],
    [
        "Emails from our payroll provider keep going to my junk folder, I almost missed an important one.",
        "!high Replies from a customer (@contoso-retail.test) are landing in spam for the whole {dept} team.",
        "Important emails getting quarantined, I got a quarantine digest with 6 messages that are legit.",
    ],
    "Released the quarantined messages, confirmed the sender domain passes SPF/DKIM, and added it to the tenant allow list for 30 days while the sender fixes their DMARC. Users can also mark 'Not junk' in Outlook to train their filter.",
)
problem(
    C,
    "medium",
    [
        "Email not syncing on my phone",
        "Work email stopped on {mobile}",
        "Outlook app on phone not updating",
    ],
    [
        "Outlook on my {mobile} stopped syncing new email {when}. Calendar also stale.",
        "My work email isn't coming through on my phone anymore, laptop is fine.",
        "Can't get email on my new {mobile}, I installed Outlook but it says account not supported?",
    ],
    "The device needed to be enrolled in Intune before Outlook mobile is allowed (conditional access). Guided the user through installing Company Portal and enrolling, then re-added the account in Outlook mobile; mail and calendar synced.",
)
problem(
    C,
    "critical",
    [
        "Nobody is receiving external email",
        "Company-wide inbound email outage",
        "No incoming mail from outside since morning",
    ],
    [
        "We haven't received any external emails since around 8am - whole {dept} department and Sales say the same. Customers say their mails bounce.",
        "Inbound email from outside seems down for the entire company. Internal works. Customers are calling.",
        "No external mail arriving for anyone at the {site}. Is there an outage? Orders come in by email!",
    ],
    "The MX record had been changed during a DNS provider migration and pointed to the old gateway. Restored the correct MX for acme.test, lowered TTL, and confirmed queued mail was retried and delivered by senders within the hour. Sent an all-staff notice.",
)
problem(
    C,
    "medium",
    [
        "Accidentally deleted emails, need them back",
        "Recover deleted Outlook folder",
        "Deleted a whole mail folder by mistake",
    ],
    [
        "I accidentally deleted an entire folder with client emails and emptied deleted items. Can it be recovered?",
        "Lost a bunch of emails from last week, think I deleted them when cleaning up. Help please!",
        "A subfolder in my inbox is gone, I may have dragged it somewhere. Contains contracts.",
    ],
    "Recovered the items from Deleted Items > 'Recover items recently removed from this folder' (retained 30 days) and restored them to the original folder. For the moved folder, searched 'All mailboxes' in Outlook and dragged it back to the Inbox.",
)
problem(
    C,
    "low",
    [
        "Outlook search not finding emails",
        "Search in Outlook returns no results",
        "Search in Outlook is broken",
    ],
    [
        "Searching in Outlook returns nothing even for emails I can see in my inbox.",
        "outlook search only shows results from the last couple of months, older stuff doesnt show.",
        "!medium Search in Outlook says 'we're having trouble fetching results from the server'.",
    ],
    "Rebuilt the Windows Search index (Control Panel > Indexing Options > Advanced > Rebuild) and changed the Outlook cached mode slider from 3 months to 1 year. For older mail Outlook now searches the server automatically.",
)
problem(
    C,
    "low",
    [
        "Give assistant access to my calendar",
        "Delegate access for my mailbox",
        "Set up calendar delegate",
    ],
    [
        "My new assistant needs to manage my calendar and send meeting invites on my behalf.",
        "Can I give Laura edit access to my calendar without seeing my email?",
        "How do I set up a delegate in Outlook so my EA can accept meetings for me?",
    ],
    "In Outlook: File > Account Settings > Delegate Access > Add, select the assistant, set Calendar to Editor and Inbox to None, and tick 'Delegate receives copies of meeting-related messages'. Changes take effect within a few minutes.",
)
problem(
    C,
    "low",
    [
        "Large attachment won't send",
        "Email with attachment stuck in outbox",
        "File too big to email",
    ],
    [
        "!medium Trying to send a 40MB presentation to a client and it sits in my Outbox.",
        "Outlook says the attachment size exceeds the allowable limit. How do I send big files?",
        "My email with video attachment keeps bouncing back, says message too large.",
    ],
    "The external message limit is 25 MB. Upload the file to OneDrive, then use Attach > Share link (set 'Specific people' with the client's address) instead of attaching; remove the stuck message from the Outbox first.",
)
problem(
    C,
    "medium",
    [
        "Outlook keeps asking for password",
        "Constant credential prompts in Outlook",
        "Outlook password popup won't go away",
    ],
    [
        "Outlook keeps popping up a password box every few minutes even though I type the right password.",
        "Since my password change yesterday Outlook asks me for credentials all the time, and never connects.",
        "outlook keeps prompting for login, I enter it and it asks again. super annoying",
    ],
    "Cleared the stale MicrosoftOffice16 entries from Windows Credential Manager and signed out/in of the Office account under File > Office Account. Outlook uses modern auth again and stops prompting.",
)

# --------------------------------------------------------------------------- Hardware
C = "Hardware"
problem(
    C,
    "high",
    ["Laptop won't turn on", "{laptop} dead, no power", "Computer doesn't power on at all"],
    [
        "My {laptop} won't turn on at all this morning. No lights, nothing, charger is plugged in. I have a presentation at 11.",
        "laptop is completely dead, power button does nothing. asset tag {asset}.",
        "!medium My laptop doesn't turn on when I press power, only the charging light blinks orange 3 times. Using a loaner PC for now, so not super urgent.",
    ],
    "Performed a hard reset (disconnected power, held the power button 30 seconds) which didn't help; the blink code indicated a failed system board. Issued a loaner from stock, restored the user's OneDrive profile, and logged a warranty repair with the vendor.",
)
problem(
    C,
    "medium",
    [
        "External monitors not detected through dock",
        "Docking station not showing monitors",
        "Second screen not working with dock",
    ],
    [
        "My two {monitor} monitors don't come on when I plug my laptop into the {dock}. Charging works.",
        "Dock stopped working with monitors {when}. USB mouse works through it but screens say 'no signal'.",
        "When I dock my {laptop} only one of the external screens works, the other stays black.",
    ],
    "Updated the dock firmware and the laptop's Thunderbolt/graphics drivers, then power-cycled the dock (unplug power for 30 seconds). Both monitors now detected; set the display arrangement under Settings > Display.",
)
problem(
    C,
    "high",
    [
        "Laptop battery looks swollen",
        "Battery bulging, trackpad lifting",
        "Laptop battery drains very fast",
    ],
    [
        "The trackpad on my {laptop} is pushed up and the case doesn't close flat anymore. I think the battery is swelling?",
        "!medium Battery on my laptop goes from 100 to 20% in about an hour, it's only 2 years old.",
        "My laptop base is bulging and it's getting hot near the bottom. Should I keep using it?",
    ],
    "Swollen lithium batteries are a fire risk: told the user to shut down and unplug immediately and not charge it. Swapped for a replacement laptop the same day and sent the unit for battery replacement/disposal under warranty.",
)
problem(
    C,
    "medium",
    [
        "Spilled coffee on keyboard",
        "Several keys not working on laptop",
        "Keyboard typing wrong characters",
    ],
    [
        "!high I spilled coffee on my laptop keyboard and now the E and R keys don't work. It still turns on.",
        "Some keys on my {laptop} stopped working (space bar and N). No spill, they just died.",
        "keyboard types random characters and sometimes repeats letters, very hard to work",
    ],
    "Provided a USB keyboard as a workaround and booked the laptop in for a keyboard replacement (same-day loaner for the spill case, since liquid can corrode the board). Reinstalled the keyboard driver for the repeated-letters case, which resolved it.",
)
problem(
    C,
    "medium",
    [
        "New hire laptop setup",
        "Laptop needed for new starter",
        "Prepare equipment for new employee",
    ],
    [
        "We have a new starter in {dept} on {day}, she'll need a laptop, dock, headset and two monitors please.",
        "Can you set up a laptop for our new analyst starting next week? Account already requested through HR.",
        "New hire arriving Monday needs the standard kit, MacBook preferred if available.",
    ],
    "Assigned a laptop from stock, enrolled it in Intune/Autopilot with the department profile, and prepared dock, headset and monitors at the desk. Hardware will be handed over on the first day with a short orientation.",
)
problem(
    C,
    "low",
    [
        "My monitor keeps flickering",
        "External screen flickers and goes black",
        "Display flickering on and off",
    ],
    [
        "My {monitor} flickers every few seconds, especially when I move windows around.",
        "Second screen keeps going black for a second then coming back.",
        "The laptop screen flickers when I tilt the lid.",
    ],
    "Replaced the DisplayPort cable (the old one had a damaged connector) and set the refresh rate to 60 Hz. For the lid case, the display cable hinge is worn: booked a screen assembly repair under warranty.",
)
problem(
    C,
    "low",
    [
        "Headset microphone not working",
        "People can't hear me on my headset",
        "USB headset mic not picking up",
    ],
    [
        "My Jabra headset mic isn't working, people can't hear me on calls but I can hear them.",
        "Headset microphone not detected, had to use my laptop mic all day.",
        "New headset doesn't work on my {laptop}, no sound in or out.",
    ],
    "The headset was muted via its boom arm and Windows had it disabled as an input device. Enabled it in Sound settings > Input, set it as default communication device and updated the headset firmware with Jabra Direct.",
)
problem(
    C,
    "medium",
    ["Laptop overheating and loud fan", "Laptop gets very hot", "Fan running constantly on laptop"],
    [
        "My laptop is super hot and the fan is loud even when I'm just using email.",
        "!high {laptop} gets so hot I can't keep it on my lap, and it shuts off sometimes.",
        "The fan on my computer never stops and it's noisy in meetings.",
    ],
    "Cleaned the vents and fan with compressed air and updated the BIOS, which includes a new fan curve. Also found a runaway indexing process; after the fix temperatures dropped from 95C to 60C under normal use.",
)
problem(
    C,
    "medium",
    [
        "Blue screen after docking laptop",
        "Laptop keeps crashing with blue screen",
        "BSOD several times a day",
    ],
    [
        "My laptop blue screens a few times a day, error says DRIVER_POWER_STATE_FAILURE. Usually when I dock/undock.",
        "Got a blue screen 3 times today, WHEA_UNCORRECTABLE_ERROR. {laptop}.",
        "!high PC keeps crashing to a blue screen and restarting. Lost work twice.",
    ],
    "Ran the vendor hardware diagnostics: the memory test failed on one module. Replaced the RAM under warranty and updated the dock/chipset drivers; no further crashes over a week.",
)
problem(
    C,
    "low",
    [
        "Request for second monitor",
        "Need a new mouse and keyboard",
        "Request for ergonomic equipment",
    ],
    [
        "Could I get a second monitor for my desk? Doing a lot of spreadsheet work.",
        "Can I please get a wireless mouse and keyboard? The old ones are falling apart.",
        "My manager approved a standing desk converter and an ergonomic keyboard, how do I order?",
    ],
    "Approved request fulfilled from stock: delivered a {monitor} and cable to the desk and set up the display. Ergonomic items are ordered via the IT catalog in the portal with manager approval.",
)
problem(
    C,
    "medium",
    ["Laptop screen is cracked", "Dropped my laptop, screen broken", "Cracked display on {laptop}"],
    [
        "I dropped my laptop at the airport and the screen is cracked, half of it is black.",
        "Screen on my {laptop} has a big crack across the corner. Still usable with an external monitor.",
        "My laptop screen broke, lines all over it. Asset {asset}.",
    ],
    "Issued a loaner laptop and logged an accidental damage claim for the screen replacement. Data syncs through OneDrive, so the user continued work without data loss; repair turnaround is about 3 business days.",
)
problem(
    C,
    "low",
    [
        "Webcam is not detected",
        "Camera not working in meetings",
        "Laptop camera shows black screen",
    ],
    [
        "My built-in webcam isn't showing up, Teams says no camera found.",
        "camera just shows black in zoom and teams, it worked last week",
        "The external Logitech webcam isn't detected when plugged into the dock.",
    ],
    "The privacy shutter switch (F10 on some models) had the camera disabled; for the Logitech cam, the dock's USB port was not supplying enough power. Re-enabled the camera and moved the webcam to a laptop USB port.",
)
problem(
    C,
    "high",
    ["Hard drive failure warning", "SMART error on laptop disk", "Laptop says disk is failing"],
    [
        "Got a warning at boot 'SMART status bad, backup and replace'. What should I do?",
        "My laptop is making a clicking noise and files take ages to open. I'm worried about my data.",
        "Windows is saying there's a problem with my hard disk and to back up my files immediately.",
    ],
    "Confirmed OneDrive Known Folder Move had all user folders synced, then imaged the disk as a precaution. Replaced the SSD under warranty and re-provisioned via Autopilot; user's files were restored from OneDrive.",
)
problem(
    C,
    "high",
    [
        "Boardroom display not working before exec meeting",
        "Conference room screen no signal",
        "Projector not working in {room} room",
    ],
    [
        "The big screen in the {room} room shows 'no signal' and the board meeting starts in 30 minutes!",
        "Room display won't turn on in {room}, the touch panel is frozen. We have a customer visit at 2pm.",
        "!low The projector in the training room is a bit dim and blurry, could someone check it this week?",
    ],
    "Rebooted the room's control panel and the HDMI switcher, which had locked up after a firmware update, and tested laptop input and the video bar. Stayed for the start of the meeting to confirm everything worked.",
)
problem(
    C,
    "low",
    ["Mouse pointer jumping around", "Trackpad erratic on laptop", "Cursor moving by itself"],
    [
        "The mouse cursor jumps around the screen randomly, hard to click on things.",
        "trackpad on my {laptop} is registering random clicks",
        "My wireless mouse lags and stutters all the time.",
    ],
    "Replaced the wireless mouse's batteries and moved the receiver to the front USB port away from the dock's USB 3 interference. For the trackpad, updated the precision touchpad driver and reduced sensitivity.",
)
problem(
    C,
    "medium",
    ["Desk phone has no dial tone", "Polycom phone not working", "Desk phone stuck on registering"],
    [
        "My desk phone (Polycom VVX) has no dial tone and the screen says 'Registering...'.",
        "!high Reception phone isn't ringing for incoming calls {when}.",
        "The desk phone at my station is dead, no display at all.",
    ],
    "The phone's PoE port was disabled during the switch replacement. Re-enabled PoE on the port and the phone re-registered; for the reception phone, re-provisioned the hunt group so incoming calls ring again.",
)

# --------------------------------------------------------------------------- Software
C = "Software"
problem(
    C,
    "low",
    [
        "Request to install Visio",
        "Need Adobe Acrobat Pro installed",
        "Software install request for my laptop",
    ],
    [
        "Could you install Visio on my laptop? Manager approved it, I need it for process diagrams.",
        "I need Adobe Acrobat Pro to edit PDFs, I only have the reader.",
        "Can I get Tableau Desktop installed please, the license was bought last month.",
    ],
    "Assigned the license and made the app available in Company Portal; the user installed it from there (Company Portal > Apps > install). Confirmed activation with the user's account.",
)
problem(
    C,
    "medium",
    [
        "Excel crashes opening large file",
        "Excel freezes and stops responding",
        "Excel not responding with big spreadsheet",
    ],
    [
        "Excel crashes every time I open the monthly forecast workbook (about 80MB). Other files are fine.",
        "Excel keeps freezing and saying 'not responding' when I filter our sales sheet.",
        "excel closes itself when I try to refresh the pivot tables, lost my changes twice",
    ],
    "Installed 64-bit Microsoft 365 Apps (the user had 32-bit, limited to ~2 GB memory) and disabled the COM add-ins that loaded at startup. The workbook now opens and refreshes without crashing.",
)
problem(
    C,
    "medium",
    [
        "Teams app shows white screen",
        "Microsoft Teams keeps crashing",
        "Teams desktop app won't load",
    ],
    [
        "Teams just shows a white screen after I sign in, it never loads chats.",
        "The Teams desktop app crashes every time I try to share my screen.",
        "Teams is stuck on the loading logo since the update this morning.",
    ],
    "Quit Teams, cleared the cache folder (%appdata%\\Microsoft\\Teams or the new Teams app data under Packages), and updated to the current build. The app loads and screen sharing works; Teams on the web was a workaround meanwhile.",
)
problem(
    C,
    "medium",
    [
        "Windows update keeps failing",
        "Windows update error 0x800f0922",
        "Windows stuck installing updates",
    ],
    [
        "Windows Update fails every time with error 0x800f0922 and my laptop nags me to restart.",
        "My laptop has been stuck on 'Working on updates 30%' for an hour.",
        "Updates won't install on my PC, it rolls back every reboot.",
    ],
    "Ran the DISM /RestoreHealth and sfc /scannow repairs, cleared the SoftwareDistribution folder and re-ran the cumulative update while connected to the office network (it needed the update server). Update completed and compliance is green in Intune.",
)
problem(
    C,
    "medium",
    [
        "Adobe license expired message",
        "Software says license expired",
        "Office says product activation failed",
    ],
    [
        "!high Acrobat says my license has expired and I can't edit anything. I need to sign a contract today.",
        "Getting 'Product activation failed' in Word on my {laptop}, all menus are greyed out.",
        "AutoCAD says my trial has ended? I thought we have a license.",
    ],
    "Reassigned the user's license in the admin console (it was removed during a license true-up), then had the user sign out and back in the app to refresh activation. Office activation was fixed by signing in with the work account under File > Account.",
)
problem(
    C,
    "low",
    ["Zoom client won't update", "Zoom client update keeps failing", "Zoom says update required"],
    [
        "!medium Zoom says I need to update to join meetings but the update fails with error 10006.",
        "Zoom client keeps asking to update and then fails. I don't have admin rights.",
        "Can't join zoom calls, says my version is too old",
    ],
    "Pushed the current Zoom client through Company Portal (users can't self-update without admin rights) and removed the old per-user install. The user can join meetings again.",
)
problem(
    C,
    "high",
    [
        "SAP GUI not working after upgrade",
        "Finance app broken after Windows upgrade",
        "Line of business app won't start after update",
    ],
    [
        "After the Windows 11 upgrade SAP GUI won't start, just an error about missing DLL. I can't post invoices.",
        "Our {dept} team can't open the ERP client since last night's update. Month-end close is tomorrow.",
        "!medium SAP logon pad shows no systems after the update, the list is empty.",
    ],
    "The upgrade reset the SAPLOGON_INI_FILE environment variable and removed the Visual C++ runtime. Reinstalled the runtime and the current SAP GUI package from Company Portal and restored the central landscape file; all users in Finance verified.",
)
problem(
    C,
    "medium",
    [
        "Laptop very slow after update",
        "Computer slow since last week",
        "Everything takes forever to open",
    ],
    [
        "My laptop has been super slow since the last update, takes 10 minutes to boot and apps lag.",
        "PC is painfully slow, Task Manager shows 100% disk all the time.",
        "Everything is slow on my computer, even opening file explorer.",
    ],
    "Found the antivirus doing a full scan every login due to a corrupt definition cache, plus 14 startup apps. Repaired the AV agent, disabled unnecessary startup items and freed disk space; boot time back to under a minute.",
)
problem(
    C,
    "low",
    [
        "Change default browser to Chrome",
        "Please install a Chrome extension",
        "Browser extension blocked by policy",
    ],
    [
        "How do I make Chrome my default browser? Links in Teams keep opening in Edge.",
        "I need the Grammarly extension in Chrome but it says blocked by administrator.",
        "Can you allow the Salesforce Inspector extension? It's blocked.",
    ],
    "Set Chrome as default under Settings > Apps > Default apps. Extensions are allowed via the managed allow-list: submitted the extension for review, security approved it and it was added to the Chrome policy within a day.",
)
problem(
    C,
    "medium",
    [
        "Word document corrupted, can't open",
        "Word says file is corrupt",
        "Recover unsaved Word document",
    ],
    [
        "!high Word says my proposal doc is corrupt and can't be opened. It's due tomorrow.",
        "Word crashed and I lost 2 hours of work, is there any way to recover?",
        "Getting 'Word found unreadable content' on a contract template.",
    ],
    "Restored the previous version from OneDrive version history (right-click > Version history) and recovered the unsaved draft from File > Info > Manage Document > Recover Unsaved Documents. Enabled AutoSave for the user.",
)
problem(
    C,
    "low",
    [
        "Install Python and VS Code",
        "Need developer tools installed",
        "Can't install Node without admin",
    ],
    [
        "I need Python 3.12 and VS Code on my laptop for a data project, installer asks for admin.",
        "Can you install Git and Node.js? I'm a new developer on the platform team.",
        "Trying to install Docker Desktop but it needs admin rights.",
    ],
    "Installed the packaged developer tools (Python, VS Code, Git, Node) from Company Portal, which don't need admin. For Docker Desktop, assigned the licensed package and added the user to the docker-users group.",
)
problem(
    C,
    "medium",
    ["Java application won't launch", "Legacy Java app error", "Old vendor app not opening"],
    [
        "!high The warehouse reporting tool (Java based) won't launch anymore, just flashes and closes.",
        "Our vendor portal app says 'Java runtime not found'.",
        "The old time tracking app errors with 'Unsupported major.minor version'.",
    ],
    "The app requires Java 8 but the laptop got Java 17 as default. Installed the packaged Java 8 runtime alongside and updated the app shortcut to point to it explicitly.",
)
problem(
    C,
    "low",
    [
        "Company Portal app install stuck",
        "App stuck on installing in Company Portal",
        "Can't install apps from Software Center",
    ],
    [
        "In Company Portal, the install of Snagit has been 'pending' for 2 days.",
        "Software Center shows 'Installing' forever for Notepad++.",
        "tried installing an app from company portal, says failed 0x87D1041C",
    ],
    "Synced the device (Company Portal > Settings > Sync), restarted the Intune Management Extension service, and re-triggered the install, which completed. The 0x87D1041C error means the app wasn't detected after install: fixed the detection rule.",
)
problem(
    C,
    "high",
    [
        "Accounting software crashes during month end",
        "QuickBooks crashing for finance team",
        "Finance app errors when posting",
    ],
    [
        "QuickBooks crashes whenever we run the payroll report. It's payroll day.",
        "The accounting software keeps crashing for all 4 of us in {dept} when posting journal entries, we're closing the books.",
        "!medium QuickBooks is slow and crashed once today, not blocking yet.",
    ],
    "The company file had grown corrupt entries after an interrupted sync. Ran the Verify/Rebuild Data utility on the server copy during a short maintenance window and updated all clients to the same release; payroll report ran successfully.",
)
problem(
    C,
    "critical",
    [
        "POS software down at all stores",
        "Point of sale app failing everywhere",
        "Store registers can't process sales",
    ],
    [
        "The POS app is throwing 'license server unavailable' at every store, cashiers can't take payments!",
        "All registers in our stores are frozen after the overnight app update. Customers are queuing.",
        "Point of sale crashing at checkout in every store since opening. This is costing us sales.",
    ],
    "The overnight POS update changed the license server port. Rolled the update back across stores via the deployment tool and reopened the old port; registers recovered within 20 minutes. The update will be re-released with the fixed config.",
)
problem(
    C,
    "low",
    [
        "Screen sharing not working on Mac",
        "Can't share screen in Zoom on MacBook",
        "Teams screen share black on Mac",
    ],
    [
        "When I share my screen in Zoom on my MacBook people only see my wallpaper.",
        "screen share in teams shows a black screen to others, I'm on a Mac",
        "How do I allow screen recording for Zoom? My Mac keeps blocking it.",
    ],
    "macOS requires Screen Recording permission: System Settings > Privacy & Security > Screen & System Audio Recording, enable Zoom/Teams, then quit and reopen the app. Sharing works afterwards.",
)

# --------------------------------------------------------------------------- Access & Accounts
C = "Access & Accounts"
problem(
    C,
    "medium",
    [
        "Password expired, can't log in",
        "My password has expired",
        "Can't sign in after password expiry",
    ],
    [
        "My Windows password expired over the weekend and now I can't log in to my laptop.",
        "Got a message that my password expired while I was on leave. Can't get into Outlook or Teams now.",
        "password expired and the reset link says I'm not enrolled. Stuck at login screen.",
    ],
    "Verified the user's identity via callback to their manager, issued a temporary password with 'must change at next logon', and had them connect to the office network (or VPN pre-logon) to sync the new password. Enrolled them in self-service password reset for next time.",
)
problem(
    C,
    "high",
    ["My account is locked out", "Locked out of my account", "Keeps locking my AD account"],
    [
        "My account is locked out and I can't log in anywhere. I have a client demo in 20 min.",
        "I keep getting locked out every hour even after you unlocked it yesterday.",
        "!medium Locked out after too many tries, probably typed my old password. Can you unlock?",
    ],
    "Unlocked the account in AD and checked the lockout source with the DC event 4740: the user's old phone was still trying the previous password via ActiveSync. Removed the old device partnership and the lockouts stopped.",
)
problem(
    C,
    "medium",
    [
        "New phone, need to move Okta Verify",
        "MFA app on new phone",
        "Lost MFA device, can't log in",
    ],
    [
        "I got a new {mobile} and Okta Verify didn't transfer. Now I can't approve any logins.",
        "!high I reset my phone and lost my authenticator app, locked out of everything that uses MFA.",
        "How do I set up Okta Verify on my new phone? Old one is traded in already.",
    ],
    "Verified identity via video call with badge, reset the user's Okta Verify factor in the admin console, and walked them through re-enrolling at the Okta dashboard (Settings > Security Methods). Issued a temporary access code for the first login.",
)
problem(
    C,
    "medium",
    [
        "My VPN password has expired",
        "Can't log into VPN, password expired",
        "VPN says credentials invalid",
    ],
    [
        "The VPN keeps saying my password is expired but I can't change it because I'm not on the network.",
        "GlobalProtect login fails with 'authentication failed', I think my password expired while travelling.",
        "Cannot connect to vpn from home - says password must be changed.",
    ],
    "Reset the password via the Okta self-service page (works off network), then had the user lock and unlock Windows while connected to VPN to update cached credentials. VPN authentication works with the new password.",
)
problem(
    C,
    "medium",
    [
        "New employee account setup",
        "Create accounts for new hire",
        "Onboarding access for new starter",
    ],
    [
        "Please create accounts for our new {dept} coordinator starting {day}: email, Teams, Salesforce and the shared drive.",
        "New hire starts next week, HR ticket attached. Needs same access as Priya.",
        "Can you set up a login for a contractor joining for 3 months? Needs Jira and Confluence only.",
    ],
    "Created the AD/Entra account from the HR record, added the role-based groups for the department (email, Teams, shared drive), and assigned the Salesforce license. Contractor account set with an expiry date; credentials sent to the manager via secure link.",
)
problem(
    C,
    "high",
    [
        "Disable account for terminated employee",
        "Offboarding - remove access today",
        "Urgent: revoke access for leaver",
    ],
    [
        "An employee in {dept} was terminated this morning, please disable all access immediately.",
        "Leaver today at 5pm: please disable accounts, forward email to manager and collect laptop.",
        "!critical Employee walked out after dispute and may still have access to customer data. Need everything disabled NOW.",
    ],
    "Disabled the account in AD and Okta, revoked all sessions and tokens, reset the password, converted the mailbox to shared with the manager as delegate, and blocked the mobile device. Laptop collection arranged with the manager.",
)
problem(
    C,
    "low",
    [
        "Access to SharePoint site",
        "Request permission to team site",
        "Can't open SharePoint page, access denied",
    ],
    [
        "I need access to the {dept} SharePoint site, I get 'you need permission to access this item'.",
        "Requesting edit rights to the Project Atlas site for me and two colleagues.",
        "Clicked a link to a SharePoint folder and it says access denied, my manager said I should have it.",
    ],
    "Access requests are approved by the site owner: forwarded to the owner, who added the user to the site's Members group. Access works after refreshing the page (can take a few minutes).",
)
problem(
    C,
    "low",
    [
        "Need access to shared drive folder",
        "Permission denied on network folder",
        "Access request for {share}",
    ],
    [
        "Can I get access to {share}? I moved teams and my manager approved.",
        "Getting 'you don't have permission' when I open the Q3 folder on the shared drive.",
        "Please give read access to {share} for our new auditor.",
    ],
    "Added the user to the security group that controls the folder (after data owner approval) and asked them to log off/on so the new group membership is picked up.",
)
problem(
    C,
    "low",
    ["Need access to Jira project", "Jira permission request for project", "Can't see Jira board"],
    [
        "Please add me to the PAY project in Jira, I'm joining the payments squad.",
        "I can log into Jira but can't see the OPS board my team uses.",
        "Can you give me admin on our team's Jira project so I can edit workflows?",
    ],
    "Added the user to the project's group via the access request workflow (project lead approved). Project admin rights granted to the team lead only, per policy; board visibility restored after re-login.",
)
problem(
    C,
    "low",
    [
        "Salesforce profile change request",
        "Need a Salesforce license",
        "Change my role in Salesforce",
    ],
    [
        "I moved from support to sales, can my Salesforce profile be updated so I can create opportunities?",
        "New account manager needs a Salesforce login, manager approved.",
        "Can't see the reports tab in Salesforce, I think my permission set is wrong.",
    ],
    "Changed the user's profile to Sales User and assigned the Reports permission set after manager approval. For the new hire, provisioned through the Okta app assignment so the license is assigned automatically.",
)
problem(
    C,
    "low",
    [
        "Request for local admin rights",
        "Need admin rights on my laptop",
        "Need temporary administrator access",
    ],
    [
        "Can I get admin rights on my laptop? I need to install printer drivers sometimes.",
        "Need temporary local admin for a vendor software install, about 1 hour.",
        "I'm a developer and constantly need admin, can I get permanent rights?",
    ],
    "Per policy we don't grant permanent local admin. Approved a 2-hour elevation via the privileged access tool (Endpoint Privilege Management), and made the common developer tools available in Company Portal.",
)
problem(
    C,
    "low",
    [
        "Name change on my account",
        "Update display name after marriage",
        "Change my email address name",
    ],
    [
        "I got married and changed my last name, can my email and display name be updated?",
        "My name is spelled wrong in Teams and the address book.",
        "Can my username be changed to my preferred name?",
    ],
    "Updated the name in the HR system (source of truth), which synced to AD, Okta and Exchange; added the new primary email address and kept the old one as an alias so no mail is lost.",
)
problem(
    C,
    "critical",
    [
        "Nobody can log in via Okta",
        "SSO login failing for everyone",
        "Okta sign-in error for all users",
    ],
    [
        "Okta login page gives an error for everyone in our office, nobody can get into Salesforce or email.",
        "SSO seems broken company-wide - all apps redirect to Okta and then fail with 'invalid SAML response'.",
        "No one can sign in this morning, MFA pushes aren't arriving for anybody.",
    ],
    "The AD agent for Okta lost connectivity after a certificate renewal, so delegated authentication failed. Renewed the agent's certificate and restarted both agents; logins recovered for all users. Added an expiry alert for the certificate.",
)
problem(
    C,
    "medium",
    [
        "Service account password expired",
        "Integration service account is locked",
        "Scheduled job failing - service account",
    ],
    [
        "!high Our nightly ETL job failed because the svc_etl account password expired.",
        "The backup service account is locked out and jobs are failing {when}.",
        "Need to rotate the password for svc_reporting, it's in a few config files.",
    ],
    "Set the service account to a managed service account where possible; otherwise reset the password, stored it in the password vault and updated the job configs. Password expiry now handled by the vault rotation policy.",
)
problem(
    C,
    "medium",
    ["AWS console access request", "Need IAM permissions in AWS", "Access denied in AWS account"],
    [
        "I need read access to the production AWS account to look at CloudWatch logs.",
        "Getting AccessDenied when trying to list S3 buckets in the dev account.",
        "Can you add me to the data-engineering AWS SSO group?",
    ],
    "Added the user to the appropriate IAM Identity Center permission set (ReadOnly for prod, DataEngineer for dev) after owner approval. The account appears in the AWS access portal after signing out and in.",
)
problem(
    C,
    "low",
    [
        "Building badge not working",
        "Door badge access request",
        "Access card doesn't open the door",
    ],
    [
        "!medium My badge stopped opening the front door this morning.",
        "Need badge access to the {floor} server room for a vendor visit.",
        "New hire's access card doesn't open the {dept} area.",
    ],
    "Badge access was not renewed after the card's expiry date. Reactivated the card in the access control system and added the requested area after manager approval.",
)
problem(
    C,
    "medium",
    [
        "Okta says not assigned to application",
        "Can't access app through Okta",
        "App missing from Okta dashboard",
    ],
    [
        "When I click Zoom in Okta it says 'user is not assigned to this application'.",
        "The Workday tile disappeared from my Okta dashboard.",
        "Tried to log into Slack with SSO and got an error that I'm not assigned.",
    ],
    "The user was missing the department group that grants the app assignment. Added the user to the group in Okta; the tile appeared and SSO worked after sign out/in.",
)

# --------------------------------------------------------------------------- Security
C = "Security"
problem(
    C,
    "high",
    [
        "Suspicious phishing email received",
        "Reporting a phishing email",
        "Got a suspicious email asking for password",
    ],
    [
        "I got an email that looks like it's from Microsoft saying my mailbox will be deleted unless I log in via a link. Looks fake. I didn't click.",
        "Received an email from 'ceo' asking me to buy gift cards urgently. The sender address is weird.",
        "Several of us in {dept} received an email with an invoice attachment from an unknown sender, looks like phishing.",
    ],
    "Confirmed phishing. Purged the message from all mailboxes via Threat Explorer, blocked the sender domain and URL, and thanked the reporter. Reminder: use the 'Report phishing' button in Outlook for future cases.",
)
problem(
    C,
    "critical",
    [
        "Clicked phishing link and entered password",
        "I think I gave my password to a fake site",
        "Entered credentials on suspicious page",
    ],
    [
        "I clicked a link in an email about a DocuSign and typed my password before realising it was fake. What do I do?",
        "I entered my Microsoft login on a page that looked like our login but the URL was wrong. This was 10 minutes ago.",
        "Oops I think I fell for a phishing email, entered username and password and approved an MFA prompt.",
    ],
    "Reset the user's password, revoked all sessions and refresh tokens, and re-registered MFA. Reviewed the sign-in logs and mailbox rules: removed a malicious forwarding rule the attacker created. Blocked the phishing domain and purged the email from other mailboxes.",
)
problem(
    C,
    "critical",
    [
        "Files encrypted - possible ransomware",
        "Ransom note on my computer",
        "Strange file extensions and a ransom message",
    ],
    [
        "All my files on the desktop now end in .lockd and there's a text file saying to pay bitcoin!",
        "Files on {share} have been renamed and I can't open them, there's a README_RESTORE file in every folder.",
        "My PC has a message on the screen saying files are encrypted. I unplugged the network cable.",
    ],
    "Isolated the device via Defender, disabled the user's account, and blocked SMB write access to the share. Identified the initial vector (macro attachment), restored affected files from the last clean snapshot, and reimaged the machine. Incident report filed.",
)
problem(
    C,
    "critical",
    ["My work laptop was stolen", "Lost my work laptop", "Company laptop stolen from car"],
    [
        "My laptop was stolen from my car last night. Asset {asset}. I've filed a police report.",
        "I left my work laptop on the train this morning. It has customer data on it.",
        "Bag with my laptop and badge was stolen at the airport.",
    ],
    "Confirmed BitLocker encryption was active, issued a remote wipe/lock via Intune, revoked the device's certificates and the user's sessions, and deactivated the badge. Provided a replacement laptop and recorded the incident for compliance.",
)
problem(
    C,
    "high",
    [
        "MFA push I didn't request",
        "Getting Okta push notifications I didn't trigger",
        "Receiving unexpected MFA prompts",
    ],
    [
        "I just got 5 Okta Verify pushes in a row and I wasn't logging into anything. I denied them all.",
        "Got an MFA request at 3am that I didn't start.",
        "Random approve/deny prompts keep popping on my phone, I'm not signing in anywhere.",
    ],
    "Repeated pushes mean someone has the password. Reset the password, revoked sessions, and checked sign-in logs (attempts from an unfamiliar IP were blocked by MFA). Enabled number matching for the user. Thanked the user for denying.",
)
problem(
    C,
    "high",
    ["Antivirus detected a threat", "Defender alert on my laptop", "Got a malware warning popup"],
    [
        "Windows Defender says it found Trojan:Win32/Wacatac and quarantined it. Should I worry?",
        "Got an antivirus alert after downloading a 'free PDF converter'.",
        "!medium My antivirus popup said a threat was blocked on a USB stick from a conference.",
    ],
    "Reviewed the Defender alert: the file was quarantined before execution. Ran a full scan, confirmed no persistence, and removed the downloaded installer. Reminded the user to install software only via Company Portal.",
)
problem(
    C,
    "low",
    [
        "How to report a phishing email",
        "Security awareness training question",
        "Where is the report phishing button",
    ],
    [
        "What's the right way to report a suspicious email? I don't see a report button.",
        "I can't find the security awareness training module in the LMS that's due Friday.",
        "Is it ok to forward suspicious emails to IT or should I use something else?",
    ],
    "Use the 'Report' button in the Outlook ribbon (Report > Phishing); on mobile, open the email > ... > Report phishing. The training module is in the LMS under My Learning > Required; the link was resent.",
)
problem(
    C,
    "medium",
    [
        "Found a USB stick in the parking lot",
        "Unknown USB drive found",
        "Suspicious USB device left on desk",
    ],
    [
        "Someone found a USB stick in the car park labelled 'Salaries 2024'. We didn't plug it in.",
        "There's an unknown USB drive plugged into the reception PC, nobody knows whose it is.",
        "Found a thumb drive in the {room} meeting room, should I hand it to IT?",
    ],
    "Do not plug unknown USB devices in. Collected the drive for analysis in an isolated sandbox (it contained a malicious LNK file), checked the reception PC with a full scan, and sent a short reminder to staff.",
)
problem(
    C,
    "high",
    [
        "Login alert from another country",
        "Suspicious sign-in to my account",
        "Unusual sign-in activity email",
    ],
    [
        "I got a Microsoft alert about a sign-in from Brazil. I've never been there.",
        "My Okta says there was a login from a device I don't recognise yesterday at 11pm.",
        "Security notice says unusual activity on my account. Is this real?",
    ],
    "Sign-in logs confirmed a successful login from an anonymising proxy using the user's password (legacy protocol). Reset password, revoked sessions, blocked legacy auth for the user, and checked for mailbox rule changes (none).",
)
problem(
    C,
    "high",
    [
        "Vendor asking to change bank details",
        "Suspicious payment change request",
        "Possible invoice fraud email",
    ],
    [
        "A supplier emailed saying their bank account changed and to pay the next invoice to a new account. Feels off.",
        "We got a request from 'our CFO' to urgently wire $48,000 to a new vendor. CFO is on vacation.",
        "Accounts payable received updated bank details from a vendor, the email domain is one letter off.",
    ],
    "Classic business email compromise. Told AP not to change any details without a callback to the known vendor number. Blocked the lookalike domain, purged related emails, and notified the real vendor, whose mailbox was compromised.",
)
problem(
    C,
    "high",
    [
        "Accidentally posted password in Slack",
        "Shared credentials in a public channel",
        "API key committed to GitHub",
    ],
    [
        "I accidentally pasted my password in a Slack channel with 200 people. I deleted it right away.",
        "One of our devs pushed an AWS access key to a public GitHub repo.",
        "Posted the database admin password in a Teams chat by mistake.",
    ],
    "Treat any exposed secret as compromised: rotated the credential immediately, reviewed logs for use (none found for the password; the AWS key had been used for one unauthorized call and was revoked). Enabled secret scanning on the repo.",
)
problem(
    C,
    "critical",
    [
        "S3 bucket publicly exposed",
        "Customer data accessible publicly",
        "Public link to sensitive data found",
    ],
    [
        "A researcher emailed us saying one of our S3 buckets with customer exports is publicly readable.",
        "Found a public 'anyone with the link' share to a folder with payroll data.",
        "Our customer database backup seems to be downloadable without login from the cloud storage.",
    ],
    "Removed public access immediately (enabled S3 Block Public Access / removed the anonymous link), reviewed access logs to scope any download, and engaged legal/privacy for notification assessment. Added a policy guardrail preventing public buckets.",
)
problem(
    C,
    "high",
    ["Lost my work phone", "Company phone stolen on commute", "Mobile with work email lost"],
    [
        "I lost my phone last night, it has Outlook and Teams with work data.",
        "Phone stolen on the subway, it has Okta Verify and my company email.",
        "Can't find my work {mobile}, think I left it in a taxi.",
    ],
    "Issued a selective wipe of company data via Intune, removed the Okta Verify factor and revoked sessions. The user re-enrolled MFA on a replacement phone after identity verification.",
)
problem(
    C,
    "medium",
    [
        "Pop-up says my computer is infected",
        "Fake virus warning with phone number",
        "Scam tech support popup",
    ],
    [
        "A popup took over my browser saying my computer is infected and to call Microsoft at a number. I didn't call.",
        "Browser is showing a full screen warning with loud beeping that says call support.",
        "Got a message that my PC is locked by Microsoft and to call toll-free. Is this real?",
    ],
    "This is a tech-support scam page, not a real infection. Closed the browser via Task Manager, cleared site permissions/notifications, and ran a full scan (clean). Blocked the domain at the web proxy.",
)
problem(
    C,
    "low",
    [
        "How to send encrypted email",
        "Sending sensitive file securely",
        "Encrypt email to external partner",
    ],
    [
        "How do I send an encrypted email to our lawyers with personal data in it?",
        "What's the approved way to send passport scans to HR's external provider?",
        "Need to send bank details to a client securely, is email ok?",
    ],
    "In Outlook choose Options > Encrypt > Encrypt-Only (or type [secure] in the subject). For large or highly sensitive files use a OneDrive link restricted to specific people with expiry. Never send passwords in the same channel.",
)
problem(
    C,
    "high",
    [
        "Suspicious admin account created",
        "Unknown user added to admin group",
        "Unexpected privileged access change",
    ],
    [
        "I noticed a new account 'svc-backup2' in the Domain Admins group that nobody on our team created.",
        "Our SIEM flagged a new global admin in Microsoft 365 that I don't recognise.",
        "!critical Audit log shows someone disabled logging on the firewall at 2am and added an admin user.",
    ],
    "Removed the account from privileged groups and disabled it, then investigated the audit trail: created by a compromised helpdesk account. Reset that account, rotated admin credentials, and escalated to incident response.",
)

# --------------------------------------------------------------------------- Printing
C = "Printing"
problem(
    C,
    "low",
    ["Paper jam in {prn}", "Printer jammed and won't clear", "Paper stuck in printer"],
    [
        "{prn} says paper jam in tray 2 but I can't find any paper in there.",
        "The {printer} on the {floor} is jammed again, error 13.A2.",
        "printer keeps saying jam even after we removed the paper",
    ],
    "Opened all doors and removed a small torn piece stuck near the fuser; cleaned the pickup rollers in tray 2, which were worn and causing repeated jams. Ordered a roller kit.",
)
problem(
    C,
    "medium",
    [
        "Printer shows as offline",
        "{prn} offline on my laptop",
        "Can't print, printer status offline",
    ],
    [
        "My laptop says {prn} is offline but other people can print to it.",
        "!high The {printer} shows offline for everyone on the {floor}.",
        "Printer is offline again, restarting it didn't help.",
    ],
    "The printer had picked up a new IP after the DHCP lease expired. Created a DHCP reservation for it, updated the port on the print server, and had users restart the print spooler; status shows Ready.",
)
problem(
    C,
    "low",
    [
        "How to add printer to my laptop",
        "Install printer on new laptop",
        "Add {prn} printer to laptop",
    ],
    [
        "How do I add the {floor} printer to my new laptop?",
        "I can't find {prn} in the list of printers.",
        "Need to connect to the printer near {dept}, what's the name?",
    ],
    "Open Settings > Bluetooth & devices > Printers & scanners > Add device, or type \\\\print01 in File Explorer and double-click the printer queue. All queues are named PRN-<floor>-<area>.",
)
problem(
    C,
    "medium",
    [
        "Scan to email not working",
        "Scanner not sending emails",
        "Scanned documents never arrive in inbox",
    ],
    [
        "Scan to email on the {printer} stopped working, scans never arrive in my inbox.",
        "Copier shows 'SMTP error' when I scan to my email.",
        "!high We scan invoices to email all day and it's been broken {when}.",
    ],
    "The printer's SMTP relay credentials expired after the mail relay change. Reconfigured scan-to-email to use the internal relay (smtp-relay.acme.test, port 25, no auth from the printer VLAN) and tested delivery.",
)
problem(
    C,
    "medium",
    ["Print jobs stuck in queue", "Documents sitting in print queue", "Nothing prints, queue full"],
    [
        "My print jobs get stuck in the queue with status 'Error - printing'. Nothing comes out.",
        "There are 20 jobs stuck in the {prn} queue and it won't print anything.",
        "Can't delete a stuck job in the print queue and everything behind it is blocked.",
    ],
    "Stopped the Print Spooler service on the print server, cleared the spool folder (C:\\Windows\\System32\\spool\\PRINTERS), and restarted the service. A corrupted PDF job was the cause; queue is printing again.",
)
problem(
    C,
    "low",
    ["Toner low on {prn}", "Need new toner cartridge", "Printer out of toner"],
    [
        "{prn} says toner low, black. Do we have spares?",
        "The printer on the {floor} is out of cyan toner.",
        "Printing is very faint, I think the toner is empty.",
    ],
    "Replaced the toner cartridge from the floor stock cupboard and enabled automatic supply ordering on the printer so replacements ship when toner reaches 15%.",
)
problem(
    C,
    "low",
    ["Prints have streaks or lines", "Printouts are blank pages", "Print quality issues on copier"],
    [
        "Everything that comes out of the {printer} has a grey line down the page.",
        "!medium Prints come out blank even though the toner is new.",
        "Colour prints look faded and smudged.",
    ],
    "Removed the protective seal from the new cartridge (blank pages) and cleaned the drum/corona wire. Replaced the drum unit for the streaking printer, which was at end of life.",
)
problem(
    C,
    "low",
    ["Can't print from MacBook", "Printing fails from my Mac", "Printing from macOS stuck"],
    [
        "I can't print from my MacBook, it says 'hold for authentication'.",
        "!medium Mac keeps saying the printer is not responding. Windows users can print.",
        "After updating macOS my printer disappeared.",
    ],
    "Removed and re-added the printer using the SMB queue with the correct driver, and entered the domain credentials in Keychain for 'hold for authentication'. Printing works.",
)
problem(
    C,
    "low",
    [
        "Secure print badge release not working",
        "Badge doesn't release print jobs",
        "Follow-me printing not releasing jobs",
    ],
    [
        "When I tap my badge on the printer nothing shows up, my jobs aren't listed.",
        "!medium Secure print isn't releasing documents, it says 'user not found'.",
        "My new badge doesn't work on the printers for pull printing.",
    ],
    "The new badge wasn't linked to the user's print account. Registered the card number in the print management system (or tap and enter credentials once to self-register). Jobs release normally.",
)
problem(
    C,
    "critical",
    [
        "Warehouse label printers down",
        "Shipping can't print labels",
        "Zebra label printer not printing",
    ],
    [
        "All the Zebra label printers in shipping stopped printing, we can't ship any orders!",
        "Shipping labels won't print at the warehouse since the morning, trucks leave at 3.",
        "!high One of the three Zebra ZT411 printers in shipping is printing garbled labels.",
    ],
    "The label printers' queue on the WMS print server was paused after a driver update. Rolled back to the previous Zebra driver and resumed the queue; recalibrated the garbled printer's media sensor. Shipping resumed.",
)
problem(
    C,
    "low",
    [
        "Printing large PDF is very slow",
        "Big documents take ages to print",
        "Slow printing from Acrobat",
    ],
    [
        "Printing a 200 page PDF takes like 20 minutes.",
        "Large drawings print really slowly on the plotter.",
        "PDFs with lots of images print page by page very slowly.",
    ],
    "Enabled 'Print as image' off and switched the queue to the PCL6 driver (the universal PS driver was rasterising every page). Large PDFs now print at normal speed.",
)
problem(
    C,
    "low",
    [
        "Change default to double-sided printing",
        "Set printer default to black and white",
        "Question about printer default settings",
    ],
    [
        "How can I make double sided the default?",
        "Can we set the {dept} printer to black & white by default to save costs?",
        "My prints always come out in colour, how do I change the default?",
    ],
    "In Printers & scanners > printer > Printing preferences set Duplex and Color mode; for the whole queue, changed the defaults on the print server so all users inherit duplex and mono.",
)
problem(
    C,
    "medium",
    [
        "Printer printing garbage characters",
        "Pages of random symbols printing",
        "Printer outputs gibberish on every job",
    ],
    [
        "{prn} printed 50 pages of random symbols and keeps going.",
        "When I print from our ERP the printer prints weird characters instead of the invoice.",
        "Printer outputs garbage text every time I print an email.",
    ],
    "The queue was using the wrong driver (PostScript job on a PCL-only printer). Cancelled the job, set the correct driver on the print server, and reprinted.",
)
problem(
    C,
    "high",
    [
        "No one can print after server update",
        "All printers down on print server",
        "Print server not responding",
    ],
    [
        "Nobody on the {floor} can print since the update last night.",
        "All print queues show error, whole office can't print, we need to print contracts today.",
        "Print server print01 seems down, every printer shows offline.",
    ],
    "A security update to the print server changed Point and Print restrictions, blocking driver installs. Applied the approved package-aware drivers and restarted the spooler; all queues online again.",
)
problem(
    C,
    "high",
    [
        "Check printer not working for payroll",
        "Cannot print payroll checks",
        "MICR check printer error in {dept}",
    ],
    [
        "The MICR check printer in {dept} isn't printing and payroll checks need to go out today.",
        "Check printer prints but the bank says the MICR line can't be read.",
        "Can't print vendor checks, the printer shows a toner error.",
    ],
    "Replaced the MICR toner (a standard toner had been installed, which banks can't read) and reprinted the batch after voiding the bad checks. Labelled the printer to use MICR toner only.",
)
problem(
    C,
    "medium",
    [
        "Scan to folder fails",
        "Scanner can't save to network folder",
        "Scan to SMB error after password change",
    ],
    [
        "Scan to folder on the copier fails with 'cannot connect to server'.",
        "Since I changed my password, scanning to my network folder doesn't work.",
        "The {printer} won't save scans to {share} anymore.",
    ],
    "The scan profile stored the user's old password. Updated the stored credentials on the copier address book entry (better: switched it to the scan service account) and confirmed SMB2/3 is enabled on the device.",
)

# --------------------------------------------------------------------------- Cloud & SaaS
C = "Cloud & SaaS"
problem(
    C,
    "medium",
    ["SharePoint site very slow", "SharePoint pages not loading", "SharePoint Online timing out"],
    [
        "Our {dept} SharePoint site takes forever to load and sometimes shows 'something went wrong'.",
        "SharePoint document library won't open, just spinning. Other sites ok.",
        "!high The intranet homepage on SharePoint is blank today.",
    ],
    "The library had 35,000 items in one view, exceeding the list view threshold. Added an indexed column and a filtered default view, and removed a broken web part from the homepage. Pages load in seconds.",
)
problem(
    C,
    "medium",
    ["OneDrive is not syncing files", "OneDrive sync is stuck", "OneDrive showing sync errors"],
    [
        "OneDrive has been stuck on 'processing changes' for two days.",
        "My OneDrive has red X's on a bunch of files and they don't sync to my other laptop.",
        "OneDrive says 'can't sync this file' for some of my excel files.",
    ],
    "Files had invalid characters/path length over 400. Renamed the affected files, paused and resumed sync, and reset the client (onedrive.exe /reset) for the stuck case. Sync completed.",
)
problem(
    C,
    "medium",
    [
        "Salesforce report not loading",
        "Salesforce dashboard shows an error",
        "Salesforce page throwing errors",
    ],
    [
        "Our pipeline dashboard in Salesforce shows 'error refreshing' for every component.",
        "Salesforce reports time out when I run them for the full year.",
        "Getting 'insufficient privileges' on a report that worked yesterday in Salesforce.",
    ],
    "The dashboard's running user had been deactivated. Changed the running user to the sales ops service user and added filters to the report so it stays under the time limit. Report folder sharing fixed for the privileges error.",
)
problem(
    C,
    "high",
    ["Slack messages not sending", "Slack down for our team", "Slack not loading for anyone"],
    [
        "Slack messages are stuck with 'sending' for everyone on our team.",
        "Slack isn't loading for anyone in the {site}, we use it for customer escalations.",
        "!medium Slack notifications are delayed by 10-15 mins for me.",
    ],
    "Slack's status page showed a partial outage affecting message delivery. Posted an announcement to use Teams for urgent escalations, monitored until Slack resolved it. Notification delays were a local Focus Assist setting.",
)
problem(
    C,
    "high",
    [
        "EC2 instance unreachable {when}",
        "Can't connect to AWS server",
        "AWS instance status check failed",
    ],
    [
        "Our staging EC2 instance is unreachable via SSH {when}, status check 1/2 failed.",
        "The reporting server in AWS is down, the web app returns 502.",
        "Can't RDP into the Windows instance in AWS anymore.",
    ],
    "The instance failed its system status check due to underlying host degradation. Stopped and started it to move to a healthy host, verified the app, and set a CloudWatch alarm with auto-recovery.",
)
problem(
    C,
    "critical",
    [
        "Possible Microsoft 365 outage company-wide",
        "Teams and Outlook down for everyone",
        "Office 365 services unavailable",
    ],
    [
        "Teams, Outlook web and SharePoint are all down for everyone in the company.",
        "Nobody can access Microsoft 365 services, error 503.",
        "Is Office 365 down? Whole office can't get into anything.",
    ],
    "Confirmed a Microsoft 365 service incident (EX and TM advisories) in the admin center. Posted updates to staff via SMS and the status page, and followed Microsoft's workaround. Service restored after 90 minutes.",
)
problem(
    C,
    "medium",
    ["Jira Cloud very slow", "Jira attachments failing to upload", "Jira pages timing out"],
    [
        "Jira is super slow today, boards take 30 seconds to load.",
        "Can't upload attachments to Jira tickets, it errors out.",
        "Jira Cloud gives 'something went wrong' on our team board.",
    ],
    "Atlassian status showed degraded performance in our region; for attachments, the file exceeded the 10 MB site limit. Raised the limit to 100 MB and monitored until Atlassian resolved the incident.",
)
problem(
    C,
    "low",
    [
        "Zoom cloud recording missing",
        "Where are my Zoom recordings",
        "Zoom recording not available",
    ],
    [
        "I recorded a Zoom meeting to the cloud yesterday but it's not in my recordings.",
        "Where do Zoom cloud recordings go? Can't find last week's training.",
        "Zoom recording says processing for 24 hours.",
    ],
    "Recordings are under zoom.us > Recordings; they can take up to 24h to process for long meetings. The missing one was recorded locally by the co-host; found it in the co-host's Documents\\Zoom folder.",
)
problem(
    C,
    "low",
    [
        "Share files with external partner",
        "External sharing blocked in OneDrive",
        "Can't share SharePoint file externally",
    ],
    [
        "I need to share a folder with an external agency but the option is greyed out.",
        "Trying to share a OneDrive link with a client but it says sharing is disabled.",
        "How do I give an external consultant access to our project files?",
    ],
    "External sharing is enabled per site for approved partners. Enabled 'New and existing guests' on the project site after approval, and showed the user how to share with 'Specific people' links with an expiry date.",
)
problem(
    C,
    "medium",
    [
        "Restore deleted file in SharePoint",
        "Deleted files from team site",
        "Recover previous version on SharePoint",
    ],
    [
        "I accidentally deleted a folder from our team site, can it be restored?",
        "!high Someone overwrote our pricing file on SharePoint, need the version from Monday.",
        "Deleted files from a Teams channel, can we get them back?",
    ],
    "Restored the folder from the site Recycle Bin (and second-stage recycle bin) and restored Monday's version via Version History. Items are kept for 93 days.",
)
problem(
    C,
    "low",
    ["Request new SaaS tool", "Evaluate new software service", "Approval for online tool"],
    [
        "We'd like to start using Miro for workshops, what's the process?",
        "Can {dept} sign up for a project management SaaS? We have a trial.",
        "Is Notion approved for company use?",
    ],
    "New SaaS tools go through the vendor security review (questionnaire + SSO requirement). Opened the review; once approved, the app is added to Okta for SSO and billed via procurement.",
)
problem(
    C,
    "low",
    ["Create a new Team in Teams", "Request new Teams channel", "New Microsoft Team for project"],
    [
        "Can I create a new Team for our project? The option isn't there.",
        "Please create a Team for the office relocation project with me as owner.",
        "Need a private channel in the {dept} team.",
    ],
    "Team creation is restricted to requests: created the Team with the requester as owner and applied the naming policy and expiry policy. Owners can add private channels themselves from the team's ... menu.",
)
problem(
    C,
    "high",
    [
        "Salesforce integration sync broken",
        "Leads not syncing to Salesforce",
        "API limit exceeded in Salesforce",
    ],
    [
        "Leads from our marketing platform stopped syncing to Salesforce yesterday.",
        "Salesforce says REQUEST_LIMIT_EXCEEDED and all our integrations stopped.",
        "!medium The HubSpot-Salesforce sync shows errors for about 20 records.",
    ],
    "A misconfigured integration was polling every few seconds and burned the daily API limit. Throttled it to 15-minute batches, re-queued the failed records, and set an alert at 80% API usage.",
)
problem(
    C,
    "medium",
    [
        "Unexpected spike in AWS bill",
        "Unexpected cloud costs this month",
        "AWS budget alert triggered",
    ],
    [
        "We got an AWS budget alert, costs are 3x normal this month.",
        "Cloud bill jumped, looks like a lot of data transfer charges.",
        "Someone left big GPU instances running in the dev account.",
    ],
    "Cost Explorer showed a forgotten cluster of p3 instances and a NAT gateway transfer spike. Stopped the instances after confirming with the owner, added VPC endpoints for S3, and set up budgets per team.",
)
problem(
    C,
    "medium",
    [
        "Uploads to S3 bucket failing",
        "Can't upload files to cloud storage",
        "Azure blob upload errors",
    ],
    [
        "Uploads to our S3 bucket fail with AccessDenied {when}.",
        "!high Our app can't upload files to Azure Blob, getting 403 errors.",
        "!high The nightly export to S3 failed, error 'SignatureDoesNotMatch'.",
    ],
    "The bucket policy had been tightened to require encryption headers, and the Azure SAS token had expired. Updated the client to send SSE headers and rotated the SAS token to a managed identity.",
)
problem(
    C,
    "critical",
    [
        "Customer portal is down",
        "Production web app returning errors",
        "Customer-facing booking site outage",
    ],
    [
        "Our customer portal is returning 500 errors for everyone, customers can't log in!",
        "The production web app on AWS is down, load balancer shows all targets unhealthy.",
        "Customers reporting our booking site won't load, this is affecting revenue.",
    ],
    "Deployment of a new release had a bad config; targets failed health checks. Rolled back to the previous release, confirmed health checks passing, and opened a postmortem. Added a canary step to the pipeline.",
)
problem(
    C,
    "low",
    ["My OneDrive storage is full", "Out of OneDrive space", "Need more cloud storage"],
    [
        "OneDrive says my storage is almost full.",
        "Can I get more OneDrive space? I work with video files.",
        "Getting notifications that my OneDrive is 95% full.",
    ],
    "Checked storage usage (OneDrive settings > Storage) and removed old version history and large duplicates. For video work, moved files to a dedicated SharePoint library with higher quota.",
)


# --------------------------------------------------------------------------- articles
ARTICLES: list[tuple[str, str, str]] = [
    (
        "Fixing Wi-Fi drops on company laptops",
        "Network",
        "If your laptop keeps disconnecting from the ACME-Corp Wi-Fi, try these steps in order.\n\n1. Toggle Wi-Fi off and on, then move closer to an access point to rule out coverage.\n2. Forget the ACME-Corp network (Settings > Network & internet > Wi-Fi > Manage known networks) and reconnect; it uses your company certificate, so no password is needed.\n3. In Device Manager open your wireless adapter > Power Management and untick 'Allow the computer to turn off this device to save power'.\n4. Install pending driver updates from Company Portal.\n5. If only one desk or room is affected, open a Network ticket with the location so we can check the access point.",
    ),
    (
        "VPN connected but internal sites don't load",
        "Network",
        "When GlobalProtect shows Connected but internal sites fail, the problem is usually DNS or an outdated configuration.\n\n1. Click the GlobalProtect icon > Settings (gear) > Refresh Connection.\n2. Open a command prompt and run `ipconfig /flushdns`.\n3. Test `nslookup intranet.acme.test`; it should return a 10.x address.\n4. Disconnect, wait 10 seconds, and reconnect to the recommended gateway.\n5. If it still fails, raise a ticket with a screenshot of the GlobalProtect Details tab.",
    ),
    (
        "Mapping a network drive",
        "Network",
        "Network shares live on the file servers (for example \\\\fs02\\shared).\n\n1. Open File Explorer and click This PC > Map network drive.\n2. Choose a drive letter and enter the share path.\n3. Tick 'Reconnect at sign-in'.\n4. If you see 'network path not found', make sure you are in the office or on VPN and that your network profile is set to Domain.\nAccess to a folder is granted through a group; request it in the portal if you get 'access denied'.",
    ),
    (
        "Setting automatic replies (out of office)",
        "Email",
        "1. In Outlook for Windows go to File > Automatic Replies.\n2. Select 'Send automatic replies' and tick 'Only send during this time range'.\n3. Write the message for people inside the organization.\n4. On the 'Outside My Organization' tab, decide whether external senders get a reply and write a shorter message.\n5. On Outlook mobile, go to Settings > your account > Automatic Replies.\nRemember to name a backup contact, not your phone number.",
    ),
    (
        "Outlook crashes or won't start",
        "Email",
        "Most Outlook start-up crashes are caused by add-ins or a damaged local cache.\n\n1. Hold Ctrl while clicking Outlook (or run `outlook.exe /safe`) to start in safe mode.\n2. If safe mode works, go to File > Options > Add-ins > COM Add-ins > Go, and untick add-ins one at a time.\n3. If it still crashes, close Outlook, rename the .ost file in %localappdata%\\Microsoft\\Outlook, and restart so it resyncs.\n4. Use Outlook on the web (outlook.office.com) while it resyncs.\nIf none of this works, open an Email ticket and include the time of the crash.",
    ),
    (
        "Managing mailbox size and the online archive",
        "Email",
        "Mailboxes are 50 GB; your online archive is separate and grows automatically.\n\n1. Empty Deleted Items and Junk Email.\n2. Sort your inbox by size and delete or save large attachments to OneDrive.\n3. Items older than two years move to the Online Archive automatically; you can find it in the Outlook folder pane.\n4. Avoid saving PST files, they are not backed up.\nIf you still get 'mailbox full', raise a ticket and we will check the retention policy.",
    ),
    (
        "Docking station and external monitors",
        "Hardware",
        "If your monitors don't show a picture through the dock:\n\n1. Unplug the dock's power for 30 seconds and reconnect it, then connect the laptop.\n2. Check the monitor's input source (DisplayPort vs HDMI).\n3. Install dock firmware and display driver updates from Company Portal.\n4. Open Settings > System > Display and click Detect.\n5. Try a different cable; bent connectors are the most common hardware cause.\nIf the dock doesn't charge the laptop either, request a replacement.",
    ),
    (
        "What to do when your laptop won't power on",
        "Hardware",
        "1. Connect the original charger and check that the charging light turns on.\n2. Hold the power button for 30 seconds to drain residual power, then press it once.\n3. Disconnect the dock and all USB devices and try again.\n4. Note any blinking light pattern; it helps us diagnose the fault.\n5. If nothing works, raise a high priority Hardware ticket with your asset tag. Your files are in OneDrive, and we can give you a loaner laptop the same day.",
    ),
    (
        "Requesting new hardware and peripherals",
        "Hardware",
        "Standard items (mouse, keyboard, headset, second monitor) can be requested from the IT catalog in the portal.\n\n- Choose the item and add a short business reason.\n- Your manager approves the request by email.\n- Items in stock are delivered to your desk within 2 business days.\n- Ergonomic equipment may need an assessment from Facilities first.\nBroken equipment should be reported as a ticket instead so we can swap it.",
    ),
    (
        "Installing software from Company Portal",
        "Software",
        "Most approved software can be installed without admin rights.\n\n1. Open Company Portal from the Start menu (Self Service on Mac).\n2. Search for the app and click Install.\n3. Leave the laptop on and connected; the status changes to Installed.\n4. If an app is stuck on Pending, go to Settings > Sync, then restart.\n5. Licensed software that isn't listed (Visio, Acrobat Pro) needs a request with manager approval.",
    ),
    (
        "Fixing Microsoft Teams loading problems",
        "Software",
        "If Teams shows a white screen, won't load, or crashes:\n\n1. Quit Teams completely from the system tray.\n2. Clear the cache: for new Teams, go to Settings > Apps > Microsoft Teams > Advanced options > Reset.\n3. Start Teams and sign in again.\n4. Check for updates under Settings and more (...) > Check for updates.\nUse Teams on the web (teams.microsoft.com) in the meantime.",
    ),
    (
        "Recovering an unsaved or corrupted Office document",
        "Software",
        "1. For files in OneDrive or SharePoint, right-click the file > Version history and restore an earlier version.\n2. For unsaved documents, open Word > File > Info > Manage Document > Recover Unsaved Documents.\n3. For a file Word says is corrupt, use File > Open, select the file, and choose Open and Repair from the arrow next to Open.\n4. Turn on AutoSave (top-left toggle) so this doesn't happen again.\nIf none of these works, open a ticket with the file path and the time you last saved it.",
    ),
    (
        "Resetting your password with self-service",
        "Access & Accounts",
        "You can reset a forgotten or expired password yourself if you are enrolled.\n\n1. Go to the Okta sign-in page and click 'Forgot password?'.\n2. Verify with Okta Verify or SMS.\n3. Choose a new passphrase of at least 14 characters.\n4. If you work remotely, connect to VPN and lock/unlock your laptop so the new password is cached.\n5. Update the password on your phone's mail app to avoid lockouts.",
    ),
    (
        "Setting up Okta Verify on a new phone",
        "Access & Accounts",
        "Before trading in your old phone, add the new one first.\n\n1. Install Okta Verify from the App Store or Google Play.\n2. On your computer, sign in to Okta and open Settings > Security Methods > Set up another.\n3. Scan the QR code with Okta Verify on the new phone.\n4. Remove the old device from the list.\nIf you have already lost the old phone, contact the helpdesk; we will verify your identity by video call before resetting MFA.",
    ),
    (
        "Requesting access to applications, sites and shared folders",
        "Access & Accounts",
        "Access is granted through groups, with approval by the owner.\n\n1. Open the IT portal and choose Request access.\n2. Select the application, SharePoint site, or shared folder.\n3. Explain what you need (read or edit) and why.\n4. The owner approves; access usually works within 15 minutes.\n5. Sign out and back in (or lock/unlock your laptop) to pick up new group memberships.",
    ),
    (
        "How to report a phishing email",
        "Security",
        "If an email looks suspicious, do not click links, open attachments or reply.\n\n1. In Outlook, select the email and click Report > Report phishing in the ribbon.\n2. On mobile, open the email, tap ... > Report phishing.\n3. The security team reviews it and removes it from other mailboxes.\n4. If you already clicked a link or entered your password, call the helpdesk immediately; speed matters more than embarrassment.\nSigns to look for: urgency, unexpected invoices, sender address that doesn't match the name.",
    ),
    (
        "Lost or stolen device: what to do",
        "Security",
        "Report lost or stolen laptops and phones immediately, even at night.\n\n1. Call the helpdesk 24/7 line and give the asset tag or phone model.\n2. We lock or wipe the device remotely and sign you out of all sessions.\n3. For theft, file a police report and send us the reference.\n4. You will receive a replacement device; your files come back from OneDrive.\nCompany laptops are encrypted, so data is protected if the device is off or locked.",
    ),
    (
        "Sending sensitive information securely",
        "Security",
        "- Use Outlook's Encrypt option (Options > Encrypt) for emails with personal or financial data.\n- For files, share a OneDrive link to 'Specific people' with an expiry date instead of attaching.\n- Never send passwords by email or chat; use the password manager's share feature.\n- Check recipients carefully before sending.\nContact Security if you are unsure whether information is confidential.",
    ),
    (
        "Adding a printer to your computer",
        "Printing",
        "Printers are shared from the print server print01.\n\n1. Open Settings > Bluetooth & devices > Printers & scanners.\n2. Click Add device; if your printer isn't listed, click 'Add manually' and enter \\\\print01\\PRN-<floor>-<area>.\n3. On a Mac, use System Settings > Printers & Scanners > + and choose the Windows tab.\n4. Print a test page.\nThe printer name is on a label on the front of each device.",
    ),
    (
        "Clearing a stuck print queue",
        "Printing",
        "If jobs stay in the queue and nothing prints:\n\n1. Open Printers & scanners, select the printer > Open print queue.\n2. Cancel all your documents.\n3. Turn the printer off and on, and check the display for errors (paper jam, toner).\n4. Restart your computer and print again.\nIf the whole floor can't print, raise a Printing ticket so we restart the server queue.",
    ),
    (
        "Using scan to email and scan to folder",
        "Printing",
        "1. Tap your badge at the copier and choose Scan.\n2. Select 'Scan to Me' to email yourself, or 'Scan to Folder' for your personal network folder.\n3. Set the file type (PDF is default) and resolution.\n4. Press Start and wait for the confirmation.\nScans over 25 MB may not arrive by email; use scan to folder for large documents. If scans stop arriving after a password change, report it so we update the stored settings.",
    ),
    (
        "OneDrive sync troubleshooting",
        "Cloud & SaaS",
        '1. Click the OneDrive cloud icon in the taskbar and read the error message.\n2. Rename files that contain unsupported characters (such as " * : < > ? / \\ |) or have very long paths.\n3. Pause syncing, wait a minute, and resume.\n4. If it is still stuck, press Win+R and run `%localappdata%\\Microsoft\\OneDrive\\onedrive.exe /reset`.\n5. Make sure you are not over your storage quota.',
    ),
    (
        "Restoring deleted files in SharePoint and Teams",
        "Cloud & SaaS",
        "Deleted files are kept for 93 days.\n\n1. Open the SharePoint site (for Teams, click Files > Open in SharePoint).\n2. Click Recycle bin in the left menu.\n3. Select the items and click Restore.\n4. If they are not there, check the Second-stage recycle bin at the bottom of the page.\n5. To go back to an older version of a file, select it and choose Version history.",
    ),
    (
        "Requesting a new SaaS application",
        "Cloud & SaaS",
        "All cloud services must pass a security review before company data is stored in them.\n\n1. Open a Cloud & SaaS request describing the tool, the data it will hold, and the number of users.\n2. Security sends the vendor a short questionnaire.\n3. Approved tools are connected to Okta single sign-on and billed through Procurement.\n4. Do not use personal or free accounts for company data in the meantime.",
    ),
]


# --------------------------------------------------------------------------- assembly
def fill(text: str, rng: random.Random, chosen: dict[str, str]) -> str:
    """Replace {slot} placeholders with values from POOLS (one value per slot per ticket)."""
    out = text
    for key, values in POOLS.items():
        token = "{" + key + "}"
        if token in out:
            if key not in chosen:
                chosen[key] = rng.choice(values)
            out = out.replace(token, chosen[key])
    return out


def typo(text: str, rng: random.Random) -> str:
    """Introduce one realistic slip: a swapped letter pair or a dropped letter."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if w.isalpha() and len(w) > 5]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    if rng.random() < 0.6:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    else:
        w = w[:j] + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def person(rng: random.Random) -> tuple[str, str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first.lower()}.{last.lower()}@acme.test"
    phone = f"+1 (617) 555-01{rng.randrange(10, 100)}"
    return first, last, email, phone


def wrap(body: str, rng: random.Random, cat: str) -> str:
    """Add optional greeting / signature / contact details, like real tickets."""
    first, last, email, phone = person(rng)
    r = rng.random()
    if r < 0.12:
        body = body.lower()
    elif r < 0.30:
        body = typo(body, rng)
    if rng.random() < 0.45:
        body = f"{rng.choice(GREETINGS)}\n\n{body}"
    s = rng.random()
    if s < 0.18:
        body += f"\n\n{rng.choice(SIGNOFFS)}\n{first}"
    elif s < 0.32:
        body += f"\n\n{rng.choice(SIGNOFFS)}\n{first} {last}, {rng.choice(POOLS['dept'])}\n{email} | {phone}"
    elif s < 0.40:
        body += f" You can reach me at {phone} or {email}."
    elif s < 0.46:
        body += f"\n-- {first} {last[0]}. (ext. {rng.randrange(2000, 6000)})"
    elif s < 0.50:
        body += f" Asset tag {rng.choice(POOLS['asset'])}, user {first[0].lower()}{last.lower()}."
    return body


def build_tickets() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for cat in CATEGORIES:
        probs = [p for p in PROBLEMS if p["cat"] == cat]
        # Every problem body is used once first; the remainder reuses bodies with new wording.
        plan: list[tuple[Problem, str]] = []
        for p in probs:
            plan.extend((p, b) for b in p["bodies"])
        rng.shuffle(plan)
        target = COUNTS[cat]
        extra = list(plan)
        rng.shuffle(extra)
        while len(plan) < target:
            plan.append(extra[(len(plan)) % len(extra)])
        plan = plan[:target]
        for p, raw in plan:
            prio = p["prio"]
            text = raw
            if text.startswith("!"):
                prio, text = text[1:].split(" ", 1)
            chosen: dict[str, str] = {}
            for _ in range(50):
                chosen.clear()
                body = wrap(fill(text, rng, chosen), rng, cat)
                if body not in seen:
                    break
            seen.add(body)
            title = fill(rng.choice(p["titles"]), rng, chosen)
            rows.append(
                {
                    "title": title,
                    "body": body,
                    "category": cat,
                    "priority": prio,
                    "answer": fill(p["answer"], rng, chosen),
                }
            )
    rng.shuffle(rows)
    return rows


def main() -> None:
    rows = build_tickets()
    with open(HERE / "tickets.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["title", "body", "category", "priority", "answer"])
        w.writeheader()
        w.writerows(rows)
    with open(HERE / "articles.csv", "w", newline="", encoding="utf-8") as fh:
        w2 = csv.writer(fh)
        w2.writerow(["title", "body", "category"])
        for title, category, body in ARTICLES:
            w2.writerow([title, body, category])
    print(f"wrote {len(rows)} tickets, {len(ARTICLES)} articles")


if __name__ == "__main__":
    main()
