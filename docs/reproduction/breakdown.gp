set terminal pngcairo size 1000,560 font 'sans,10' noenhanced
set output 'breakdown.png'
set title 'Hermes busy share per resource, batch 1, RTX4090 + 8 NDP-DIMMs'
set datafile missing '?'
set grid ytics
set ylabel 'busy time / run time'
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top left
plot 'breakdown.dat' using 2:xtic(1) title 'GPU compute', \
     'breakdown.dat' using 3 title 'busiest DIMM', \
     'breakdown.dat' using 4 title 'mean DIMM', \
     'breakdown.dat' using 5 title 'PCIe activations', \
     'breakdown.dat' using 6 title 'PCIe weights', \
     'breakdown.dat' using 7 title 'DIMM-link', \
     'breakdown.dat' using 8 title 'host predictor'
